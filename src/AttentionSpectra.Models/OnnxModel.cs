using AttentionSpectra.Studies.KernelPcaAudit;
namespace AttentionSpectra.Models;

/// <summary>ONNX tensor element types used here (TensorProto.DataType).</summary>
internal enum OnnxElemType { Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Float16 = 10, Double = 11 }

/// <summary>A graph node (NodeProto): op type, input/output names and the raw attribute fields.</summary>
internal sealed record OnnxNode(string Name, string OpType, string Domain, string[] Inputs, string[] Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes);

/// <summary>A node attribute: only the pieces the pattern matcher reads (int, float, ints, tensor).</summary>
internal sealed record OnnxAttribute(string Name, long? Int, float? Float, long[] Ints, OnnxTensor? Tensor);

/// <summary>A constant tensor (initializer or Constant value). Values are decoded on demand.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, OnnxElemType ElemType, double[]? Values, bool External);

/// <summary>A graph input or output: name, element type and shape (null dim = symbolic/unknown).</summary>
internal sealed record OnnxValueInfo(string Name, OnnxElemType ElemType, long?[] Shape);

/// <summary>Parsed view of an ONNX ModelProto, keeping the original bytes so that extra graph outputs can be
/// added without re-encoding anything else.</summary>
internal sealed class OnnxModel
{
    public byte[] Bytes { get; }
    public List<OnnxNode> Nodes { get; } = [];
    public Dictionary<string, OnnxTensor> Initializers { get; } = [];
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];
    public bool UsesExternalData { get; private set; }

    private OnnxModel(byte[] bytes) { Bytes = bytes; }

    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static OnnxModel Parse(byte[] bytes, string source = "ONNX model")
    {
        if (bytes.Length == 0) throw new InvalidDataException($"{source} is empty, not an ONNX model.");
        var m = new OnnxModel(bytes);
        List<ProtoField> top;
        try { top = ProtoReader.ReadFields(bytes, 0, bytes.Length, $"{source} (ModelProto)"); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source} is not a valid ONNX file (or is truncated): {e.Message}", e); }
        bool hasIr = top.Any(f => f.Number == 1 && f.WireType == ProtoField.Varint);
        var graphs = top.Where(f => f.Number == 7 && f.WireType == ProtoField.Len).ToList();
        if (!hasIr || graphs.Count == 0)
            throw new InvalidDataException($"{source} is not an ONNX model: no ir_version/graph fields in the ModelProto.");
        foreach (var g in graphs) m.ParseGraph(g, source);
        if (m.Nodes.Count == 0) throw new InvalidDataException($"{source}: ONNX graph has no nodes.");
        return m;
    }

    private void ParseGraph(ProtoField g, string source)
    {
        var buf = Bytes;
        string what = $"{source} (GraphProto)";
        foreach (var f in ProtoReader.ReadFields(buf, g.Offset, g.Length, what))
        {
            switch (f.Number)
            {
                case 1 when f.WireType == ProtoField.Len: Nodes.Add(ParseNode(f, source)); break;
                case 5 when f.WireType == ProtoField.Len:
                    var t = ParseTensor(buf, f, source);
                    Initializers[t.Name] = t;
                    if (t.External) UsesExternalData = true;
                    break;
                case 11 when f.WireType == ProtoField.Len: Inputs.Add(ParseValueInfo(f, source)); break;
                case 12 when f.WireType == ProtoField.Len: Outputs.Add(ParseValueInfo(f, source)); break;
            }
        }
        // Graph inputs that are initializers (older exports) are not real inputs.
        Inputs.RemoveAll(i => Initializers.ContainsKey(i.Name));
    }

    private OnnxNode ParseNode(ProtoField nf, string source)
    {
        var buf = Bytes;
        string what = $"{source} (NodeProto)";
        var ins = new List<string>(); var outs = new List<string>();
        string name = "", op = "", domain = "";
        var attrs = new Dictionary<string, OnnxAttribute>();
        foreach (var f in ProtoReader.ReadFields(buf, nf.Offset, nf.Length, what))
        {
            switch (f.Number)
            {
                case 1: ins.Add(ProtoReader.String(buf, f)); break;
                case 2: outs.Add(ProtoReader.String(buf, f)); break;
                case 3: name = ProtoReader.String(buf, f); break;
                case 4: op = ProtoReader.String(buf, f); break;
                case 7: domain = ProtoReader.String(buf, f); break;
                case 5:
                    var a = ParseAttribute(f, source);
                    attrs[a.Name] = a;
                    break;
            }
        }
        return new OnnxNode(name, op, domain, [.. ins], [.. outs], attrs);
    }

    private OnnxAttribute ParseAttribute(ProtoField af, string source)
    {
        var buf = Bytes;
        string what = $"{source} (AttributeProto)";
        string name = ""; long? i = null; float? fl = null; OnnxTensor? t = null;
        var ints = new List<long>();
        foreach (var f in ProtoReader.ReadFields(buf, af.Offset, af.Length, what))
        {
            switch (f.Number)
            {
                case 1: name = ProtoReader.String(buf, f); break;
                case 2 when f.WireType == ProtoField.Fixed32: fl = BitConverter.UInt32BitsToSingle((uint)f.Scalar); break;
                case 3 when f.WireType == ProtoField.Varint: i = (long)f.Scalar; break;
                case 5 when f.WireType == ProtoField.Len: t = ParseTensor(buf, f, source); break;
                case 8: ProtoReader.AppendVarints(buf, f, ints, what); break;
            }
        }
        return new OnnxAttribute(name, i, fl, [.. ints], t);
    }

    /// <summary>Decode a TensorProto. Values are decoded only for small tensors (scalars, shapes): the pattern
    /// matcher only needs constant scale factors; large weights stay in the byte buffer for OnnxRuntime.</summary>
    internal static OnnxTensor ParseTensor(byte[] buf, ProtoField tf, string source, int maxDecode = 64)
    {
        string what = $"{source} (TensorProto)";
        var dims = new List<long>();
        int dt = 0; string name = ""; bool external = false;
        ProtoField? raw = null;
        var floatData = new List<double>(); var intData = new List<long>();
        foreach (var f in ProtoReader.ReadFields(buf, tf.Offset, tf.Length, what))
        {
            switch (f.Number)
            {
                case 1: ProtoReader.AppendVarints(buf, f, dims, what); break;
                case 2: dt = (int)f.Scalar; break;
                case 8: name = ProtoReader.String(buf, f); break;
                case 9: raw = f; break;
                case 14: external = f.Scalar == 1; break;
                case 13: external = true; break;
                case 4:
                    if (f.WireType == ProtoField.Fixed32) floatData.Add(BitConverter.UInt32BitsToSingle((uint)f.Scalar));
                    else if (f.WireType == ProtoField.Len)
                        for (int p = f.Offset; p + 4 <= f.Offset + f.Length; p += 4) floatData.Add(BitConverter.ToSingle(buf, p));
                    break;
                case 10:
                    if (f.WireType == ProtoField.Fixed64) floatData.Add(BitConverter.UInt64BitsToDouble(f.Scalar));
                    else if (f.WireType == ProtoField.Len)
                        for (int p = f.Offset; p + 8 <= f.Offset + f.Length; p += 8) floatData.Add(BitConverter.ToDouble(buf, p));
                    break;
                case 5: case 7: ProtoReader.AppendVarints(buf, f, intData, what); break;
            }
        }
        long count = 1;
        foreach (var d in dims) count *= d;
        var et = (OnnxElemType)dt;
        double[]? values = null;
        if (!external && count <= maxDecode)
        {
            if (raw is { } r)
            {
                int width = et switch { OnnxElemType.Float or OnnxElemType.Int32 => 4, OnnxElemType.Int64 or OnnxElemType.Double => 8, OnnxElemType.Float16 => 2, OnnxElemType.UInt8 or OnnxElemType.Int8 => 1, _ => 0 };
                if (width > 0)
                {
                    if (r.Length != count * width) throw ProtoReader.Corrupt(what, $"tensor '{name}' raw_data has {r.Length} bytes, expected {count * width}");
                    values = new double[count];
                    for (int k = 0; k < count; k++)
                    {
                        int p = r.Offset + k * width;
                        values[k] = et switch
                        {
                            OnnxElemType.Float => BitConverter.ToSingle(buf, p),
                            OnnxElemType.Int32 => BitConverter.ToInt32(buf, p),
                            OnnxElemType.Int64 => BitConverter.ToInt64(buf, p),
                            OnnxElemType.Double => BitConverter.ToDouble(buf, p),
                            OnnxElemType.Float16 => (double)BitConverter.ToHalf(buf, p),
                            OnnxElemType.UInt8 => buf[p],
                            _ => (sbyte)buf[p],
                        };
                    }
                }
            }
            else if (floatData.Count == count) values = [.. floatData];
            else if (intData.Count == count) values = intData.Select(x => (double)x).ToArray();
        }
        return new OnnxTensor(name, [.. dims], et, values, external);
    }

    private OnnxValueInfo ParseValueInfo(ProtoField vf, string source)
    {
        var buf = Bytes;
        string what = $"{source} (ValueInfoProto)";
        string name = ""; int elem = 0; var shape = new List<long?>();
        foreach (var f in ProtoReader.ReadFields(buf, vf.Offset, vf.Length, what))
        {
            if (f.Number == 1) name = ProtoReader.String(buf, f);
            else if (f.Number == 2 && f.WireType == ProtoField.Len)
                foreach (var tt in ProtoReader.ReadFields(buf, f.Offset, f.Length, what))
                    if (tt.Number == 1 && tt.WireType == ProtoField.Len)
                        foreach (var tf in ProtoReader.ReadFields(buf, tt.Offset, tt.Length, what))
                        {
                            if (tf.Number == 1) elem = (int)tf.Scalar;
                            else if (tf.Number == 2 && tf.WireType == ProtoField.Len)
                                foreach (var dim in ProtoReader.ReadFields(buf, tf.Offset, tf.Length, what))
                                {
                                    if (dim.Number != 1 || dim.WireType != ProtoField.Len) continue;
                                    long? v = null;
                                    foreach (var df in ProtoReader.ReadFields(buf, dim.Offset, dim.Length, what))
                                        if (df.Number == 1 && df.WireType == ProtoField.Varint) v = (long)df.Scalar;
                                    shape.Add(v is > 0 ? v : null);
                                }
                        }
        }
        return new OnnxValueInfo(name, (OnnxElemType)elem, [.. shape]);
    }

    /// <summary>The model bytes with extra graph outputs appended (name only; OnnxRuntime infers their types).
    /// Rebuilds the ModelProto: every field is copied verbatim, the graph gets the extra output entries.</summary>
    public byte[] WithExtraOutputs(IEnumerable<string> names)
    {
        var existing = Outputs.Select(o => o.Name).ToHashSet();
        var extra = new ProtoWriter();
        foreach (var n in names.Distinct().Where(n => !existing.Contains(n)))
            extra.Message(12, new ProtoWriter().String(1, n));
        byte[] extraBytes = extra.ToArray();
        var w = new ProtoWriter();
        bool done = false;
        foreach (var f in ProtoReader.ReadFields(Bytes, 0, Bytes.Length, "ONNX ModelProto"))
        {
            if (f.Number == 7 && f.WireType == ProtoField.Len && !done)
            {
                var g = new byte[f.Length + extraBytes.Length];
                Array.Copy(Bytes, f.Offset, g, 0, f.Length);
                extraBytes.CopyTo(g, f.Length);
                w.Bytes(7, g);
                done = true;
                continue;
            }
            switch (f.WireType)
            {
                case ProtoField.Varint: w.Varint(f.Number, (long)f.Scalar); break;
                case ProtoField.Len: w.Bytes(f.Number, Bytes.AsSpan(f.Offset, f.Length)); break;
                case ProtoField.Fixed32: w.Raw32(f.Number, (uint)f.Scalar); break;
                case ProtoField.Fixed64: w.Raw64(f.Number, f.Scalar); break;
            }
        }
        return w.ToArray();
    }

    /// <summary>Value of a scalar constant (initializer or Constant node output), or null.</summary>
    public double? ScalarConstant(string name)
    {
        if (Initializers.TryGetValue(name, out var t)) return t.Values is { Length: 1 } v ? v[0] : null;
        var c = Nodes.FirstOrDefault(n => n.OpType == "Constant" && n.Outputs.Length > 0 && n.Outputs[0] == name);
        if (c == null) return null;
        if (c.Attributes.TryGetValue("value", out var a) && a.Tensor?.Values is { Length: 1 } tv) return tv[0];
        if (c.Attributes.TryGetValue("value_float", out var af) && af.Float is { } fv) return fv;
        return null;
    }
}
