using AttentionSpectra.Models.Onnx;
using Google.Protobuf;

namespace AttentionSpectra.Models;

/// <summary>ONNX tensor element types (TensorProto.DataType).</summary>
internal enum OnnxElemType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, BFloat16 = 16,
}

/// <summary>A graph input or output: name, element type and shape (null dim = symbolic/unknown).</summary>
internal sealed record OnnxValueInfo(string Name, OnnxElemType ElemType, long?[] Shape);

/// <summary>An ONNX model read through the protobuf classes generated from <c>Proto/onnx.proto</c>. Fields this
/// code does not know are kept by Google.Protobuf and written back unchanged by <see cref="WithExtraOutputs"/>.
/// Weights stored as external data are read into the model when it is loaded from a file.</summary>
internal sealed class OnnxModel
{
    /// <summary>Largest model that can be handed to OnnxRuntime as one protobuf message.</summary>
    private const long MaxProtoBytes = int.MaxValue;

    public ModelProto Proto { get; }
    public GraphProto Graph => Proto.Graph;
    public Dictionary<string, TensorProto> Initializers { get; } = [];
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];
    /// <summary>True when some weights were stored in external data files (now read into the model).</summary>
    public bool UsesExternalData { get; private set; }

    /// <summary>Version of the default ("ai.onnx") operator set the model imports.</summary>
    public long Opset =>
        Proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    private OnnxModel(ModelProto proto)
    {
        Proto = proto;
        foreach (var t in Graph.Initializer) Initializers[t.Name] = t;
        foreach (var v in Graph.Input)
            if (!Initializers.ContainsKey(v.Name)) Inputs.Add(ToValueInfo(v));
        foreach (var v in Graph.Output) Outputs.Add(ToValueInfo(v));
    }

    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        OnnxModel m;
        using (var fs = File.OpenRead(path))
        {
            if (fs.Length == 0) throw new InvalidDataException($"{path} is empty, not an ONNX model.");
            m = Parse(() => ModelProto.Parser.ParseFrom(fs), path);
        }
        m.ReadExternalData(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path);
        return m;
    }

    public static OnnxModel Parse(byte[] bytes, string source = "ONNX model")
    {
        if (bytes.Length == 0) throw new InvalidDataException($"{source} is empty, not an ONNX model.");
        return Parse(() => ModelProto.Parser.ParseFrom(bytes), source);
    }

    private static OnnxModel Parse(Func<ModelProto> parse, string source)
    {
        ModelProto proto;
        try { proto = parse(); }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException(
                $"{source} is not a valid ONNX file (corrupt or truncated protobuf: {e.Message})", e);
        }
        if (!proto.HasIrVersion || proto.Graph == null)
            throw new InvalidDataException(
                $"{source} is not an ONNX model: no ir_version/graph fields in the ModelProto.");
        if (proto.Graph.Node.Count == 0) throw new InvalidDataException($"{source}: ONNX graph has no nodes.");
        return new OnnxModel(proto);
    }

    /// <summary>Replace external-data references of initializers (and Constant values) by the bytes they point
    /// to, so that the model can be handed to OnnxRuntime as one buffer.</summary>
    private void ReadExternalData(string directory, string source)
    {
        var tensors = Graph.Initializer.Concat(Graph.Node.SelectMany(n => n.Attribute).Where(a => a.T != null)
            .Select(a => a.T)).Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        if (tensors.Count == 0) return;
        UsesExternalData = true;
        long total = Proto.CalculateSize();
        var files = new Dictionary<string, FileStream>();
        try
        {
            foreach (var t in tensors)
            {
                var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
                if (!kv.TryGetValue("location", out var loc) || loc.Length == 0)
                    throw new InvalidDataException($"{source}: tensor '{t.Name}' is external but names no location.");
                string file = Path.GetFullPath(Path.Combine(directory, loc));
                if (!File.Exists(file))
                    throw new FileNotFoundException(
                        $"{source}: external data file '{loc}' of tensor '{t.Name}' not found next to the model.",
                        file);
                long offset = kv.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
                if (!files.TryGetValue(file, out var fs)) files[file] = fs = File.OpenRead(file);
                long length = kv.TryGetValue("length", out var l) ? long.Parse(l) : fs.Length - offset;
                if (offset < 0 || length < 0 || offset + length > fs.Length)
                    throw new InvalidDataException(
                        $"{source}: tensor '{t.Name}' reads bytes {offset}..{offset + length} of '{loc}', " +
                        $"which has {fs.Length} bytes (truncated external data file?).");
                total += length;
                if (total > MaxProtoBytes)
                    throw new InvalidDataException(
                        $"{source}: the model with its external data exceeds 2 GB, the largest model OnnxRuntime " +
                        "takes as one buffer; such models are not supported.");
                var buf = new byte[length];
                fs.Position = offset;
                fs.ReadExactly(buf);
                t.RawData = ByteString.CopyFrom(buf);
                t.ExternalData.Clear();
                t.ClearDataLocation();
            }
        }
        finally { foreach (var fs in files.Values) fs.Dispose(); }
    }

    private static OnnxValueInfo ToValueInfo(ValueInfoProto v)
    {
        var tt = v.Type?.TensorType;
        var shape = tt?.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : (long?)null)
            .ToArray() ?? [];
        return new OnnxValueInfo(v.Name, (OnnxElemType)(tt?.ElemType ?? 0), shape);
    }

    /// <summary>The serialised model with extra graph outputs (name only; OnnxRuntime infers their types). Every
    /// other field, known or not, is written back as read.</summary>
    public byte[] WithExtraOutputs(IEnumerable<string> names)
    {
        var existing = Graph.Output.Select(o => o.Name).ToHashSet();
        var extra = names.Distinct().Where(n => !existing.Contains(n))
            .Select(n => new ValueInfoProto { Name = n }).ToList();
        Graph.Output.AddRange(extra);
        try { return Proto.ToByteArray(); }
        finally { foreach (var e in extra) Graph.Output.Remove(e); }
    }

    /// <summary>Add a constant to the graph (used when rewriting fused ops).</summary>
    public void AddInitializer(TensorProto t)
    {
        Graph.Initializer.Add(t);
        Initializers[t.Name] = t;
    }

    /// <summary>Drop the data of initializers not named in <paramref name="keep"/> (after the model was handed to
    /// OnnxRuntime, only the constants the audit reads are needed; this halves the memory held).</summary>
    public void ReleaseWeights(ISet<string> keep)
    {
        foreach (var t in Graph.Initializer)
            if (!keep.Contains(t.Name) && (t.RawData.Length > 4096 || t.FloatData.Count > 1024))
            {
                t.ClearRawData();
                t.FloatData.Clear();
                t.Dims.Clear();
                t.Dims.Add(0);
            }
    }

    /// <summary>Values of a constant tensor (initializer or Constant node output) with at most
    /// <paramref name="maxElements"/> elements, or null.</summary>
    public double[]? ConstantValues(string name, int maxElements = 64)
    {
        if (Initializers.TryGetValue(name, out var t)) return Decode(t, maxElements);
        var c = Graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Count > 0 && n.Output[0] == name);
        if (c == null) return null;
        foreach (var a in c.Attribute)
        {
            if (a.Name == "value" && a.T != null) return Decode(a.T, maxElements);
            if (a.Name == "value_float") return [a.F];
            if (a.Name == "value_int") return [a.I];
            if (a.Name == "value_floats" && a.Floats.Count <= maxElements)
                return a.Floats.Select(x => (double)x).ToArray();
            if (a.Name == "value_ints" && a.Ints.Count <= maxElements) return a.Ints.Select(x => (double)x).ToArray();
        }
        return null;
    }

    /// <summary>Value of a one-element constant, or null.</summary>
    public double? ScalarConstant(string name) => ConstantValues(name, 1) is { Length: 1 } v ? v[0] : null;

    /// <summary>Shape of a constant tensor, or null when <paramref name="name"/> is not a constant.</summary>
    public long[]? ConstantShape(string name)
    {
        if (Initializers.TryGetValue(name, out var t)) return [.. t.Dims];
        var c = Graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Count > 0 && n.Output[0] == name);
        var a = c?.Attribute.FirstOrDefault(a => a.Name.StartsWith("value", StringComparison.Ordinal));
        if (a == null) return null;
        if (a.T != null) return [.. a.T.Dims];
        return a.Name is "value_float" or "value_int" ? [] : [a.Floats.Count + a.Ints.Count];
    }

    /// <summary>Decode a TensorProto's values as doubles (null when it has more than <paramref name="maxElements"/>
    /// elements or an unsupported type).</summary>
    internal static double[]? Decode(TensorProto t, int maxElements)
    {
        long count = 1;
        foreach (var d in t.Dims) count *= d;
        if (count > maxElements || count < 0) return null;
        var et = (OnnxElemType)t.DataType;
        if (t.HasRawData)
        {
            var raw = t.RawData.Span;
            int width = ElemSize(et);
            if (width == 0) return null;
            if (raw.Length != count * width)
                throw new InvalidDataException(
                    $"Corrupt ONNX tensor '{t.Name}': raw_data has {raw.Length} bytes, expected {count * width}.");
            var values = new double[count];
            for (int k = 0; k < count; k++) values[k] = ReadElem(raw, k, et);
            return values;
        }
        if (t.FloatData.Count == count) return t.FloatData.Select(x => (double)x).ToArray();
        if (t.DoubleData.Count == count) return [.. t.DoubleData];
        if (t.Int64Data.Count == count) return t.Int64Data.Select(x => (double)x).ToArray();
        if (t.Int32Data.Count == count)
            return et switch
            {
                OnnxElemType.Float16 =>
                    t.Int32Data.Select(x => (double)BitConverter.UInt16BitsToHalf((ushort)x)).ToArray(),
                OnnxElemType.BFloat16 => t.Int32Data.Select(x => (double)BFloat16ToSingle((ushort)x)).ToArray(),
                _ => t.Int32Data.Select(x => (double)x).ToArray(),
            };
        if (t.Uint64Data.Count == count) return t.Uint64Data.Select(x => (double)x).ToArray();
        return null;
    }

    /// <summary>Bytes per element of a fixed-width type (0 for strings and unknown types).</summary>
    internal static int ElemSize(OnnxElemType et) => et switch
    {
        OnnxElemType.Float or OnnxElemType.Int32 or OnnxElemType.UInt32 => 4,
        OnnxElemType.Int64 or OnnxElemType.Double or OnnxElemType.UInt64 => 8,
        OnnxElemType.Float16 or OnnxElemType.BFloat16 or OnnxElemType.Int16 or OnnxElemType.UInt16 => 2,
        OnnxElemType.UInt8 or OnnxElemType.Int8 or OnnxElemType.Bool => 1,
        _ => 0,
    };

    private static double ReadElem(ReadOnlySpan<byte> raw, int k, OnnxElemType et) => et switch
    {
        OnnxElemType.Float => BitConverter.ToSingle(raw.Slice(4 * k, 4)),
        OnnxElemType.Int32 => BitConverter.ToInt32(raw.Slice(4 * k, 4)),
        OnnxElemType.UInt32 => BitConverter.ToUInt32(raw.Slice(4 * k, 4)),
        OnnxElemType.Int64 => BitConverter.ToInt64(raw.Slice(8 * k, 8)),
        OnnxElemType.UInt64 => BitConverter.ToUInt64(raw.Slice(8 * k, 8)),
        OnnxElemType.Double => BitConverter.ToDouble(raw.Slice(8 * k, 8)),
        OnnxElemType.Float16 => (double)BitConverter.ToHalf(raw.Slice(2 * k, 2)),
        OnnxElemType.BFloat16 => BFloat16ToSingle(BitConverter.ToUInt16(raw.Slice(2 * k, 2))),
        OnnxElemType.Int16 => BitConverter.ToInt16(raw.Slice(2 * k, 2)),
        OnnxElemType.UInt16 => BitConverter.ToUInt16(raw.Slice(2 * k, 2)),
        OnnxElemType.Int8 => (sbyte)raw[k],
        _ => raw[k],
    };

    /// <summary>bfloat16 bits (the top half of a float32) to float.</summary>
    internal static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}
