using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AttentionSpectra.Numerics;

/// <summary>A dense array read from a NumPy <c>.npy</c> file, converted to doubles in C (row-major) order.</summary>
/// <param name="Shape">The array's shape (empty for a scalar).</param>
/// <param name="Data">The values, row-major, length = product of <paramref name="Shape"/>.</param>
/// <param name="DType">The file's dtype descriptor, e.g. <c>&lt;f8</c>.</param>
public sealed record NpyArray(int[] Shape, double[] Data, string DType)
{
    /// <summary>The array as a matrix: a 2-D array as is, a 1-D array as one column.</summary>
    /// <exception cref="InvalidDataException">The array has more than two dimensions or none.</exception>
    public Matrix ToMatrix() => Shape.Length switch
    {
        2 => new Matrix(Shape[0], Shape[1], Data),
        1 => new Matrix(Shape[0], 1, Data),
        _ => throw new InvalidDataException($"expected a 1-D or 2-D array, got shape ({string.Join(", ", Shape)})."),
    };
}

/// <summary>Reader and writer of NumPy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0; little- and big-endian
/// float16/32/64, signed/unsigned 8–64-bit integers and bool; C or Fortran order). Every size is checked against the
/// file length before anything is allocated, so a corrupt or hostile header fails with a clear
/// <see cref="InvalidDataException"/> instead of an out-of-memory error.</summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest element count accepted by <see cref="Read(byte[], string)"/> (2^31 − 1, the largest .NET
    /// array of doubles).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>Read a <c>.npy</c> file.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="InvalidDataException">The file is not a valid <c>.npy</c> array of a supported dtype.</exception>
    public static NpyArray Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Parse the bytes of a <c>.npy</c> file.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">Name used in error messages.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid <c>.npy</c> array of a supported dtype.</exception>
    public static NpyArray Read(byte[] bytes, string name = "array")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a .npy file (missing the \\x93NUMPY magic).");
        int major = bytes[6];
        long headerLen;
        int offset;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); offset = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"{name}: truncated .npy header.");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            offset = 12;
        }
        else throw new InvalidDataException($"{name}: unsupported .npy format version {major}.{bytes[7]}.");
        if (offset + headerLen > bytes.Length) throw new InvalidDataException($"{name}: truncated .npy header.");
        var enc = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        string header = enc.GetString(bytes, offset, (int)headerLen);
        string descr = HeaderString(header, "descr", name);
        bool fortran = HeaderBool(header, "fortran_order", name);
        int[] shape = HeaderShape(header, name);
        long count = 1;
        foreach (int s in shape)
        {
            count *= s;
            if (count > MaxElements) throw new InvalidDataException($"{name}: array of shape ({string.Join(", ", shape)}) is too large.");
        }
        var (kind, size, bigEndian) = ParseDType(descr, name);
        long dataStart = offset + headerLen;
        long need = count * size;
        if (bytes.Length - dataStart < need)
            throw new InvalidDataException($"{name}: truncated data: shape ({string.Join(", ", shape)}) of {descr} needs {need} bytes, file has {bytes.Length - dataStart}.");
        var data = new double[count];
        var src = bytes.AsSpan((int)dataStart, (int)need);
        for (long i = 0; i < count; i++)
            data[i] = Element(src.Slice((int)(i * size), size), kind, bigEndian);
        if (fortran && shape.Length > 1) data = FortranToC(data, shape);
        return new NpyArray(shape, data, descr);
    }

    /// <summary>Write a matrix as a 2-D little-endian float64 <c>.npy</c> file (format 1.0, C order), readable by
    /// <c>numpy.load</c>.</summary>
    /// <param name="path">Destination path (overwritten).</param>
    /// <param name="m">The matrix.</param>
    public static void Write(string path, Matrix m)
    {
        ArgumentNullException.ThrowIfNull(m);
        Write(path, m.Data, [m.Rows, m.Cols]);
    }

    /// <summary>Write values of any shape as a little-endian float64 <c>.npy</c> file (format 1.0, C order).</summary>
    /// <param name="path">Destination path (overwritten).</param>
    /// <param name="data">Row-major values; length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array's shape; a 1-D vector is <c>[n]</c>.</param>
    public static void Write(string path, ReadOnlySpan<double> data, int[] shape)
    {
        using var fs = File.Create(path);
        Write(fs, data, shape);
    }

    /// <summary>Write values of any shape as a little-endian float64 <c>.npy</c> stream (format 1.0, C order).</summary>
    /// <param name="stream">Destination stream.</param>
    /// <param name="data">Row-major values; length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array's shape.</param>
    public static void Write(Stream stream, ReadOnlySpan<double> data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException("Shape entries must be non-negative.", nameof(shape));
            count *= s;
        }
        if (count != data.Length) throw new ArgumentException($"Data length {data.Length} does not match the shape.", nameof(data));
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var head = new byte[10];
        Magic.CopyTo(head, 0);
        head[6] = 1; head[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), (ushort)header.Length);
        stream.Write(head);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var buf = new byte[8 * Math.Min(data.Length, 8192)];
        for (int start = 0; start < data.Length; start += 8192)
        {
            int n = Math.Min(8192, data.Length - start);
            for (int i = 0; i < n; i++) BinaryPrimitives.WriteDoubleLittleEndian(buf.AsSpan(8 * i), data[start + i]);
            stream.Write(buf, 0, 8 * n);
        }
    }

    private static double[] FortranToC(double[] f, int[] shape)
    {
        var c = new double[f.Length];
        int nd = shape.Length;
        var idx = new int[nd];
        var strideF = new long[nd];
        long s = 1;
        for (int k = 0; k < nd; k++) { strideF[k] = s; s *= shape[k]; }
        for (long lin = 0; lin < c.Length; lin++)
        {
            long fo = 0;
            for (int k = 0; k < nd; k++) fo += idx[k] * strideF[k];
            c[lin] = f[fo];
            for (int k = nd - 1; k >= 0; k--)
            {
                if (++idx[k] < shape[k]) break;
                idx[k] = 0;
            }
        }
        return c;
    }

    private static (char Kind, int Size, bool BigEndian) ParseDType(string descr, string name)
    {
        if (descr.Length < 2) throw new InvalidDataException($"{name}: unsupported dtype '{descr}'.");
        char order = descr[0];
        string rest = descr[1..];
        if (order is not ('<' or '>' or '|' or '=')) { rest = descr; order = '<'; }
        if (rest.Length < 2 || !int.TryParse(rest.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            throw new InvalidDataException($"{name}: unsupported dtype '{descr}'.");
        char kind = rest[0];
        bool ok = kind switch
        {
            'f' => size is 2 or 4 or 8,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'b' => size == 1,
            _ => false,
        };
        if (!ok) throw new InvalidDataException($"{name}: unsupported dtype '{descr}' (supported: float16/32/64, integers, bool).");
        return (kind, size, order == '>');
    }

    private static double Element(ReadOnlySpan<byte> b, char kind, bool be) => (kind, b.Length) switch
    {
        ('f', 8) => be ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
        ('f', 4) => be ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
        ('f', 2) => (double)(be ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b)),
        ('i', 1) => (sbyte)b[0],
        ('u', 1) or ('b', 1) => b[0],
        ('i', 2) => be ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
        ('u', 2) => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
        ('i', 4) => be ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
        ('u', 4) => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
        ('i', 8) => be ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
        _ => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
    };

    private static string HeaderString(string h, string key, string name)
    {
        int k = h.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0) throw new InvalidDataException($"{name}: .npy header has no '{key}'.");
        int q1 = h.IndexOf('\'', h.IndexOf(':', k) + 1);
        int q2 = q1 < 0 ? -1 : h.IndexOf('\'', q1 + 1);
        if (q1 < 0 || q2 < 0) throw new InvalidDataException($"{name}: malformed '{key}' in the .npy header.");
        return h[(q1 + 1)..q2];
    }

    private static bool HeaderBool(string h, string key, string name)
    {
        int k = h.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0) throw new InvalidDataException($"{name}: .npy header has no '{key}'.");
        var rest = h.AsSpan(h.IndexOf(':', k) + 1).TrimStart();
        if (rest.StartsWith("True")) return true;
        if (rest.StartsWith("False")) return false;
        throw new InvalidDataException($"{name}: malformed '{key}' in the .npy header.");
    }

    private static int[] HeaderShape(string h, string name)
    {
        int k = h.IndexOf("'shape'", StringComparison.Ordinal);
        if (k < 0) throw new InvalidDataException($"{name}: .npy header has no 'shape'.");
        int open = h.IndexOf('(', k), close = open < 0 ? -1 : h.IndexOf(')', open);
        if (open < 0 || close < 0) throw new InvalidDataException($"{name}: malformed 'shape' in the .npy header.");
        var parts = h[(open + 1)..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > 32) throw new InvalidDataException($"{name}: too many dimensions in the .npy header.");
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i].TrimEnd('L');
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"{name}: invalid dimension '{parts[i]}' in the .npy shape.");
        }
        return shape;
    }
}
