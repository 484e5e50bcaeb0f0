using System.Buffers.Binary;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Models;

/// <summary>Word-embedding tables of built-in models, for Study B's real-table experiments.
/// <para>The table is read from the ONNX bytes by a small self-contained protobuf scan (ModelProto.graph →
/// GraphProto.initializer → TensorProto dims / data_type / name / raw_data or float_data). It is deliberately
/// independent of the project's ONNX reader so that either can change; only float32 initializers stored inline are
/// supported.</para></summary>
public static class EmbeddingTables
{
    /// <summary>Name of MiniLM's token-embedding initializer.</summary>
    public const string MiniLmWordEmbeddings = "embeddings.word_embeddings.weight";

    /// <summary>The MiniLM word-embedding table (30,522 × 384), rows = token ids.</summary>
    /// <exception cref="InvalidDataException">The model has no such float32 initializer.</exception>
    public static Matrix MiniLm() => ReadInitializer(BuiltinModels.MiniLmOnnx(), MiniLmWordEmbeddings);

    /// <summary>Read the 2-D float32 initializer <paramref name="name"/> from ONNX model bytes. When no initializer
    /// has that name, an initializer whose name ends with it is used.</summary>
    /// <param name="onnx">ONNX ModelProto bytes.</param>
    /// <param name="name">Initializer name.</param>
    public static Matrix ReadInitializer(byte[] onnx, string name)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        ArgumentNullException.ThrowIfNull(name);
        Tensor? suffixMatch = null;
        foreach (var graph in Fields(onnx, 0, onnx.Length).Where(f => f.Number == 7 && f.WireType == 2))
        {
            foreach (var init in Fields(onnx, graph.Start, graph.End).Where(f => f.Number == 5 && f.WireType == 2))
            {
                var t = ReadTensor(onnx, init.Start, init.End);
                if (t.Name == name) return ToMatrix(onnx, t);
                if (suffixMatch == null && t.Name.EndsWith(name, StringComparison.Ordinal)) suffixMatch = t;
            }
        }
        if (suffixMatch is { } s) return ToMatrix(onnx, s);
        throw new InvalidDataException($"The ONNX model has no initializer named '{name}'.");
    }

    private readonly record struct Field(int Number, int WireType, int Start, int End, ulong Value);

    private sealed class Tensor
    {
        public string Name = "";
        public List<long> Dims = [];
        public int DataType;
        public (int Start, int End)? Raw;
        public (int Start, int End)? Floats;
    }

    private static Tensor ReadTensor(byte[] b, int start, int end)
    {
        var t = new Tensor();
        foreach (var f in Fields(b, start, end))
        {
            switch (f.Number)
            {
                case 1 when f.WireType == 0: t.Dims.Add((long)f.Value); break;
                case 1 when f.WireType == 2:
                    for (int p = f.Start; p < f.End;) t.Dims.Add((long)Varint(b, ref p));
                    break;
                case 2 when f.WireType == 0: t.DataType = (int)f.Value; break;
                case 4 when f.WireType == 2: t.Floats = (f.Start, f.End); break;
                case 8 when f.WireType == 2: t.Name = System.Text.Encoding.UTF8.GetString(b, f.Start,
                    f.End - f.Start); break;
                case 9 when f.WireType == 2: t.Raw = (f.Start, f.End); break;
            }
        }
        return t;
    }

    private static Matrix ToMatrix(byte[] b, Tensor t)
    {
        const int Float32 = 1;
        if (t.DataType != Float32)
            throw new InvalidDataException($"Initializer '{t.Name}' has data type {t.DataType}, not float32.");
        if (t.Dims.Count != 2)
            throw new InvalidDataException($"Initializer '{t.Name}' has {t.Dims.Count} dimensions, not 2.");
        long rows = t.Dims[0], cols = t.Dims[1];
        if (rows <= 0 || cols <= 0 || rows * cols > int.MaxValue)
            throw new InvalidDataException($"Initializer '{t.Name}' has bad shape.");
        var range = t.Raw ?? t.Floats ?? throw new InvalidDataException($"Initializer '{t.Name}' has no inline data.");
        if (range.End - range.Start != rows * cols * 4)
            throw new InvalidDataException(
                $"Initializer '{t.Name}': {range.End - range.Start} data bytes for shape {rows}x{cols}.");
        var m = new Matrix((int)rows, (int)cols);
        var span = b.AsSpan(range.Start, range.End - range.Start);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = BinaryPrimitives.ReadSingleLittleEndian(span.Slice(4 * i,
            4));
        return m;
    }

    private static IEnumerable<Field> Fields(byte[] b, int start, int end)
    {
        int p = start;
        while (p < end)
        {
            ulong key = Varint(b, ref p);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: { ulong v = Varint(b, ref p); yield return new Field(number, wire, p, p, v); break; }
                case 1: p += 8; break;
                case 5: p += 4; break;
                case 2:
                    {
                        long len = (long)Varint(b, ref p);
                        if (len < 0 || p + len > end) throw new InvalidDataException("Truncated protobuf field.");
                        yield return new Field(number, wire, p, p + (int)len, 0);
                        p += (int)len;
                        break;
                    }
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
            }
        }
    }

    private static ulong Varint(byte[] b, ref int p)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (p >= b.Length) throw new InvalidDataException("Truncated protobuf varint.");
            byte x = b[p++];
            v |= (ulong)(x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw new InvalidDataException("Malformed protobuf varint.");
    }
}
