using AttentionSpectra.Studies.KernelPcaAudit;
using System.Text.Json;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Models;

/// <summary>One tensor entry of a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (the product of the shape).</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>Reader for the safetensors format: u64 little-endian header length, a JSON header mapping tensor names to
/// {dtype, shape, data_offsets}, then the raw little-endian tensor bytes. Supports F32, F16, BF16 and F64. All
/// offsets are validated against the file size when the file is opened; tensors are read on demand.</summary>
public sealed class SafeTensorsFile
{
    /// <summary>Path of the file.</summary>
    public string Path { get; }
    /// <summary>Header entries by tensor name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }
    /// <summary>The header's <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    private readonly long _dataStart;

    private SafeTensorsFile(string path, Dictionary<string, SafeTensorInfo> t, Dictionary<string, string> meta, long dataStart)
    { Path = path; Tensors = t; Metadata = meta; _dataStart = dataStart; }

    /// <summary>Bytes per element of a supported dtype (F32, F16, BF16, F64); 0 for any other.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4, "F16" => 2, "BF16" => 2, "F64" => 8,
        _ => 0,
    };

    /// <summary>Reads and validates the header of <paramref name="path"/> (sizes checked before anything is
    /// allocated); tensor data is read later, on demand.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A malformed or inconsistent header.</exception>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file not found: {path}", path);
        long size = new FileInfo(path).Length;
        if (size < 8) throw new InvalidDataException($"{path}: truncated safetensors file ({size} bytes; the 8-byte header length is missing).");
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong hlen = BitConverter.ToUInt64(lenBytes);
        if (hlen == 0 || hlen > (ulong)(size - 8))
            throw new InvalidDataException($"{path}: safetensors header length {hlen} is beyond the file size ({size} bytes) — not a safetensors file, or truncated.");
        if (hlen > 100_000_000) throw new InvalidDataException($"{path}: safetensors header length {hlen} is implausibly large.");
        var header = new byte[hlen];
        fs.ReadExactly(header);
        var t = new Dictionary<string, SafeTensorInfo>();
        var meta = new Dictionary<string, string>();
        long dataSize = size - 8 - (long)hlen;
        try { _ = new System.Text.UTF8Encoding(false, true).GetCharCount(header); }
        catch (System.Text.DecoderFallbackException) { throw new InvalidDataException($"{path}: not a safetensors file (header is not valid UTF-8)."); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a safetensors file (header is not valid JSON: {e.Message}).", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: safetensors header is not a JSON object.");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in p.Value.EnumerateObject()) meta[m.Name] = m.Value.ToString();
                    continue;
                }
                try
                {
                    string dtype = p.Value.GetProperty("dtype").GetString() ?? "";
                    var shape = p.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    if (off.Length != 2) throw new InvalidDataException($"{path}: tensor '{p.Name}' data_offsets must have 2 entries.");
                    if (shape.Any(x => x < 0))
                        throw new InvalidDataException($"{path}: tensor '{p.Name}' has a negative dimension in shape [{string.Join(",", shape)}].");
                    if (shape.Aggregate(1.0, (a, b) => a * b) > Array.MaxLength)
                        throw new InvalidDataException($"{path}: tensor '{p.Name}' of shape [{string.Join(",", shape)}] has more elements than one array can hold.");
                    var info = new SafeTensorInfo(p.Name, dtype, shape, off[0], off[1]);
                    if (off[0] < 0 || off[1] < off[0] || off[1] > dataSize)
                        throw new InvalidDataException($"{path}: tensor '{p.Name}' data_offsets [{off[0]}, {off[1]}] are out of range (data section has {dataSize} bytes; truncated file?).");
                    int es = ElementSize(dtype);
                    if (es > 0 && off[1] - off[0] != info.Count * es)
                        throw new InvalidDataException($"{path}: tensor '{p.Name}' has {off[1] - off[0]} bytes but shape [{string.Join(",", shape)}] of {dtype} needs {info.Count * es}.");
                    t[p.Name] = info;
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new InvalidDataException($"{path}: malformed safetensors header entry '{p.Name}' (needs dtype, shape, data_offsets).", e);
                }
            }
        }
        return new SafeTensorsFile(path, t, meta, 8 + (long)hlen);
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Has(string name) => Tensors.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">No tensor of that name.</exception>
    public SafeTensorInfo Info(string name) =>
        Tensors.TryGetValue(name, out var i) ? i : throw new InvalidDataException($"{Path}: missing expected weight '{name}'.");

    /// <summary>Tensor values as doubles (row-major).</summary>
    public double[] Read(string name)
    {
        var info = Info(name);
        int es = ElementSize(info.DType);
        if (es == 0) throw new InvalidDataException($"{Path}: tensor '{name}' has unsupported dtype {info.DType} (supported: F32, F16, BF16, F64).");
        if (info.End - info.Begin > Array.MaxLength || info.Count > Array.MaxLength)
            throw new InvalidDataException($"{Path}: tensor '{name}' is too large to read ({info.End - info.Begin} bytes).");
        var bytes = new byte[info.End - info.Begin];
        using (var h = File.OpenHandle(Path))
        {
            int got = RandomAccess.Read(h, bytes, _dataStart + info.Begin);
            if (got != bytes.Length) throw new InvalidDataException($"{Path}: tensor '{name}' is truncated.");
        }
        var r = new double[info.Count];
        for (long k = 0; k < r.Length; k++)
        {
            int p = (int)(k * es);
            r[k] = info.DType switch
            {
                "F32" => BitConverter.ToSingle(bytes, p),
                "F64" => BitConverter.ToDouble(bytes, p),
                "F16" => (double)BitConverter.ToHalf(bytes, p),
                _ => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes, p) << 16),
            };
        }
        foreach (var v in r) if (!double.IsFinite(v)) throw new InvalidDataException($"{Path}: tensor '{name}' contains NaN or infinity.");
        return r;
    }

    /// <summary>2-D tensor as a matrix (higher-rank tensors are flattened to [shape[0], rest]).</summary>
    public Matrix Matrix(string name)
    {
        var info = Info(name);
        if (info.Shape.Length < 2) throw new InvalidDataException($"{Path}: tensor '{name}' has shape [{string.Join(",", info.Shape)}]; a matrix was expected.");
        long rows = info.Shape[0], cols = info.Count / Math.Max(rows, 1);
        if (rows < 1 || cols < 1)
            throw new InvalidDataException($"{Path}: tensor '{name}' has shape [{string.Join(",", info.Shape)}]; a non-empty matrix was expected.");
        return new Matrix((int)rows, (int)cols, Read(name));
    }

    /// <summary>Tensor as a flat vector, checking the element count when <paramref name="expected"/> is given.</summary>
    public double[] Vector(string name, int? expected = null)
    {
        var v = Read(name);
        if (expected is { } e && v.Length != e) throw new InvalidDataException($"{Path}: tensor '{name}' has {v.Length} elements, expected {e}.");
        return v;
    }

    /// <summary>Write a safetensors file (F32 or F64; used by tests and examples).</summary>
    public static void Write(string path, IEnumerable<(string Name, long[] Shape, double[] Data)> tensors, string dtype = "F32")
    {
        int es = dtype switch { "F32" => 4, "F64" => 8, _ => throw new ArgumentException("Write supports F32 and F64.") };
        var header = new Dictionary<string, object>();
        var blobs = new List<byte[]>();
        long off = 0;
        foreach (var (name, shape, data) in tensors)
        {
            if (shape.Aggregate(1L, (a, b) => a * b) != data.Length) throw new ArgumentException($"Tensor '{name}': shape and data length disagree.");
            var b = new byte[data.Length * es];
            for (int i = 0; i < data.Length; i++)
                if (es == 4) BitConverter.TryWriteBytes(b.AsSpan(i * 4), (float)data[i]); else BitConverter.TryWriteBytes(b.AsSpan(i * 8), data[i]);
            header[name] = new { dtype, shape, data_offsets = new[] { off, off + b.Length } };
            off += b.Length;
            blobs.Add(b);
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - json.Length % 8) % 8;
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)(json.Length + pad)));
        fs.Write(json);
        for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
        foreach (var b in blobs) fs.Write(b);
    }
}
