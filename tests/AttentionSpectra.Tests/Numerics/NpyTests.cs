using System.Text;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class NpyTests
{
    // Build a .npy file by hand (independent of Npy.Write) with the given dtype, order and raw little/big-endian bytes.
    private static byte[] Hand(string descr, bool fortran, string shape, byte[] payload)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int pad = (64 - (10 + dict.Length + 1) % 64) % 64;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', pad) + "\n");
        var b = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0,
            (byte)(header.Length & 0xff), (byte)(header.Length >> 8) };
        b.AddRange(header); b.AddRange(payload);
        return [.. b];
    }

    [Fact]
    public void RoundTrip_PreservesShapeAndBits()
    {
        var rng = new Rng(7);
        var m = new Matrix(5, 3);
        rng.FillGaussian(m.Data);
        m[0, 0] = double.Epsilon; m[4, 2] = -1e300;
        string p = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(p, m);
            var bytes = File.ReadAllBytes(p);
            Assert.Equal(0, (bytes.Length - 5 * 3 * 8) % 64); // header padded to a multiple of 64 bytes
            var a = Npy.Read(p);
            Assert.Equal([5, 3], a.Shape);
            Assert.Equal("<f8", a.DType);
            Assert.Equal(m.Data, a.Data);
        }
        finally { File.Delete(p); }
    }

    [Fact]
    public void Reads_Float32_BigEndianInt64_FortranOrder_Float16()
    {
        var f4 = new byte[24];
        for (int i = 0; i < 6; i++) BitConverter.TryWriteBytes(f4.AsSpan(4 * i), (float)(i + 0.5));
        var a = Npy.Read(Hand("<f4", false, "(2, 3)", f4));
        Assert.Equal([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], a.Data);

        // Fortran order: column-major storage of [[1,2,3],[4,5,6]] is 1,4,2,5,3,6; big-endian int64.
        long[] colMajor = [1, 4, 2, 5, 3, 6];
        var be = new byte[48];
        for (int i = 0; i < 6; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(be.AsSpan(8 * i), colMajor[i]);
        var b = Npy.Read(Hand(">i8", true, "(2, 3)", be));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], b.Data);

        var h = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(h, (Half)1.5);
        System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(h.AsSpan(2), (Half)(-2.25));
        var c = Npy.Read(Hand("<f2", false, "(2,)", h));
        Assert.Equal([2], c.Shape);
        Assert.Equal([1.5, -2.25], c.Data);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("huge")]
    [InlineData("dtype")]
    [InlineData("magic")]
    public void Rejects_CorruptFiles_WithInvalidData(string kind)
    {
        byte[] bytes = kind switch
        {
            "truncated" => Hand("<f8", false, "(4, 4)", new byte[8 * 15]),
            "huge" => Hand("<f8", false, "(100000, 100000)", new byte[8]),
            "dtype" => Hand("<c16", false, "(1,)", new byte[16]),
            _ => Encoding.ASCII.GetBytes("not a numpy file at all"),
        };
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(bytes, "x.npy"));
        Assert.StartsWith("x.npy:", e.Message);
    }

    [Fact]
    public void MatrixFile_ReadsCsvWithHeader_AndRejectsRaggedRows()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string ok = Path.Combine(dir, "a.csv");
            File.WriteAllText(ok, "x,y\n1,2\n# comment\n3.5,-4e-3\n");
            var m = MatrixFile.Read(ok);
            Assert.Equal(2, m.Rows);
            Assert.Equal(-4e-3, m[1, 1]);
            string bad = Path.Combine(dir, "b.csv");
            File.WriteAllText(bad, "1,2\n3\n");
            var e = Assert.Throws<InvalidDataException>(() => MatrixFile.Read(bad));
            Assert.Contains(":2:", e.Message);
            string nan = Path.Combine(dir, "c.txt");
            File.WriteAllText(nan, "1 NaN\n");
            Assert.Throws<InvalidDataException>(() => MatrixFile.Read(nan));
        }
        finally { Directory.Delete(dir, true); }
    }
}
