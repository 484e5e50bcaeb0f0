using AttentionSpectra.Models.Onnx;
using Google.Protobuf;

namespace AttentionSpectra.Tests.KernelPcaAudit.Onnx;

/// <summary>Writes small ONNX graphs through the protobuf classes generated from the library's onnx.proto.</summary>
internal sealed class OnnxGraphBuilder
{
    public const int Float = 1, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10, BFloat16 = 16;
    public GraphProto Graph { get; } = new() { Name = "g" };
    private int _n;

    public string Node(string op, string[] inputs, params (string Name, object Value)[] attrs) =>
        NodeIn("", op, inputs, attrs);

    public string NodeIn(string domain, string op, string[] inputs, params (string Name, object Value)[] attrs)
    {
        string output = $"{op.ToLowerInvariant()}_{_n++}";
        var n = new NodeProto { OpType = op, Name = output, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        foreach (var (name, v) in attrs)
        {
            var a = new AttributeProto { Name = name };
            switch (v)
            {
                case long i: a.I = i; a.Type = AttributeProto.Types.AttributeType.Int; break;
                case int i: a.I = i; a.Type = AttributeProto.Types.AttributeType.Int; break;
                case float f: a.F = f; a.Type = AttributeProto.Types.AttributeType.Float; break;
                case long[] ints: a.Ints.AddRange(ints); a.Type = AttributeProto.Types.AttributeType.Ints; break;
                case string s:
                    a.S = ByteString.CopyFromUtf8(s);
                    a.Type = AttributeProto.Types.AttributeType.String;
                    break;
                case GraphProto g: a.G = g; a.Type = AttributeProto.Types.AttributeType.Graph; break;
                default: throw new ArgumentException(name);
            }
            n.Attribute.Add(a);
        }
        Graph.Node.Add(n);
        return output;
    }

    public string Floats(string name, long[] dims, double[] data, int type = Float)
    {
        var t = new TensorProto { Name = name, DataType = type };
        t.Dims.AddRange(dims);
        byte[] raw;
        if (type == Float16)
        {
            raw = new byte[data.Length * 2];
            for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(2 * i), (Half)data[i]);
        }
        else
        {
            raw = new byte[data.Length * 4];
            for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(4 * i), (float)data[i]);
        }
        t.RawData = ByteString.CopyFrom(raw);
        Graph.Initializer.Add(t);
        return name;
    }

    public string Ints(string name, long[] dims, long[] data)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(data);
        Graph.Initializer.Add(t);
        return name;
    }

    public string Bools(string name, long[] dims, bool[] data)
    {
        var raw = data.Select(b => (byte)(b ? 1 : 0)).ToArray();
        var t = new TensorProto { Name = name, DataType = Bool, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        return name;
    }

    public static ValueInfoProto Value(string name, int elem, long[] shape)
    {
        var sh = new TensorShapeProto();
        foreach (var d in shape) sh.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elem, Shape = sh } },
        };
    }

    public void Input(string name, int elem, long[] shape) => Graph.Input.Add(Value(name, elem, shape));

    /// <summary>A Cast node to float32 (for rewriting a float16/bfloat16 tensor).</summary>
    public static NodeProto CastToFloat(string input, string output) => new()
    {
        OpType = "Cast", Name = "cast_" + output, Input = { input }, Output = { output },
        Attribute = { new AttributeProto { Name = "to", I = Float, Type = AttributeProto.Types.AttributeType.Int } },
    };

    /// <summary>An int32 constant.</summary>
    public static TensorProto Int32s(string name, long[] dims, int[] values)
    {
        var t = new TensorProto { Name = name, DataType = Int32 };
        t.Dims.AddRange(dims);
        t.Int32Data.AddRange(values);
        return t;
    }

    public void Output(string name) => Graph.Output.Add(new ValueInfoProto { Name = name });

    public ModelProto Model(int opset = 17)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "attnspec-tests", Graph = Graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return m;
    }

    public byte[] Bytes(int opset = 17) => Model(opset).ToByteArray();
}
