using System.Globalization;
using System.Text;
using AttentionSpectra.Cli;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using CsCheck;

namespace AttentionSpectra.Tests.Fuzz;

/// <summary>Property-based fuzzing (CsCheck) of the CLI's list parsers, the safetensors header, the .npy reader and
/// the ONNX loader: generated inputs either parse into something consistent or fail as an input error (exit 2) with
/// a message, within the time and memory caps; valid inputs round-trip.</summary>
public class PropertyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-prop-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly Gen<string> ListText = Gen.String[Gen.Char["0123456789,.:-eE+ naNIfity"], 0, 40];

    [Fact]
    public void ValueListsParseWithinTheLimitOrFailAsInputErrors() =>
        FuzzHarness.Run("parse --values (random text)", ListText, 600, s => FuzzHarness.Case(s, () =>
        {
            var v = Parsing.Values(s, "--values");
            Assert.InRange(v.Count, 1, Parsing.MaxListValues);
            Assert.All(v, x => Assert.True(double.IsFinite(x)));
        }, memory: 1 << 20));

    [Fact]
    public void ValueListsRoundTrip() =>
        FuzzHarness.Run("parse --values (round trip)", Gen.Double[-1e6, 1e6].Array[1, Parsing.MaxListValues], 200, xs =>
            Assert.Equal(xs, Parsing.Values(string.Join(",", xs.Select(x => x.ToString("R",
                CultureInfo.InvariantCulture))), "--values")));

    [Fact]
    public void IndexSetsParseOrFailAsInputErrors() =>
        FuzzHarness.Run("parse --heads (random text)", Gen.String[Gen.Char["0123456789,- x"], 0, 30], 400,
            s => FuzzHarness.Case(s, () =>
            {
                var set = Parsing.IndexSet(s, "--heads");
                Assert.NotNull(set);
                Assert.All(set!, i => Assert.InRange(i, 0, Parsing.MaxIndex));
            }, memory: 32 << 20));

    [Fact]
    public void IndexSetsRoundTrip() =>
        FuzzHarness.Run("parse --heads (round trip)", Gen.Int[0, 500].Array[1, 30], 200, xs =>
        {
            var text = string.Join(",", xs.Select((x, i) => i % 3 == 2 ? $"{x}-{x + i}"
                : x.ToString(CultureInfo.InvariantCulture)));
            var expected = xs.SelectMany((x, i) => i % 3 == 2 ? Enumerable.Range(x, i + 1) : [x]).ToHashSet();
            Assert.Equal(expected, Parsing.IndexSet(text, "--heads")!.ToHashSet());
        });

    [Fact]
    public void ShapesWeightsAndSizesParseOrFailAsInputErrors() =>
        FuzzHarness.Run("parse shapes/weights/sizes", Gen.String[Gen.Char["0123456789,.-eKMGTBi "], 0, 24], 400,
            s => FuzzHarness.Case(s, () =>
            {
                try { Assert.All(Parsing.Shape(s, "--input-shape"), d => Assert.True(d > 0)); }
                catch (ArgumentException) { }
                try { Assert.InRange(Parsing.Numbers(s, "--custom-weights", 1024).Length, 1, 1024); }
                catch (ArgumentException) { }
                Assert.True(Parsing.ParseByteSize(s) > 0);
            }, memory: 1 << 20));

    // ------------------------------------------------------------------ safetensors

    private static readonly Gen<long> Dim = Gen.Frequency(
        (6, Gen.Long[0, 6]), (1, Gen.OneOf(-1L, -8L, 1L << 31, 1L << 40, long.MaxValue, 3_000_000_000L)));

    private static readonly Gen<string> Entry = Gen.Select(
        Gen.OneOf("a", "b", "w", "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
            "__metadata__", "patch_embed.proj.weight", "pos_embed"),
        Gen.OneOf("F32", "F16", "BF16", "F64", "I64", "", "f32"),
        Dim.Array[0, 4], Gen.Long[-2, 260].Array[0, 3], Gen.Int[0, 9],
        (name, dtype, shape, off, junk) => junk == 0
            ? $"\"{name}\":{{\"dtype\":{shape.Length}}}"
            : $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}]," +
              $"\"data_offsets\":[{string.Join(",", off)}]}}");

    private static readonly Gen<byte[]> SafeTensorsBytes = Gen.Select(Entry.Array[0, 5], Gen.Int[0, 256], Gen.Int[0, 7],
        Gen.Long, (entries, data, lenMode, bigLen) =>
        {
            var header = Encoding.UTF8.GetBytes("{" + string.Join(",", entries) + "}");
            ulong len = lenMode switch { 0 => (ulong)bigLen, 1 => (ulong)header.Length + 1, _ => (ulong)header.Length };
            var r = new byte[8 + header.Length + data];
            BitConverter.GetBytes(len).CopyTo(r, 0);
            header.CopyTo(r, 8);
            for (int i = 0; i < data; i++) r[8 + header.Length + i] = (byte)(i * 37);
            return r;
        });

    /// <summary>Open, read every tensor, and build the encoder: all either work or fail as input errors.</summary>
    internal static void LoadSafeTensors(string path)
    {
        var f = SafeTensorsFile.Open(path);
        foreach (var name in f.Tensors.Keys)
            try { f.Read(name); }
            catch (InvalidDataException) { }
        _ = new SafeTensorsEncoder(f, 2);
    }

    [Fact]
    public void SafeTensorsHeadersLoadOrFailAsInputErrors()
    {
        string path = Path.Combine(_dir, "g.safetensors");
        FuzzHarness.Run("safetensors header (generated)", SafeTensorsBytes, 500, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            FuzzHarness.Case(Encoding.Latin1.GetString(bytes[8..Math.Min(bytes.Length, 400)]),
                () => LoadSafeTensors(path),
                memory: 16 << 20);
        });
    }

    [Fact]
    public void SafeTensorsRoundTrip()
    {
        string path = Path.Combine(_dir, "rt.safetensors");
        var tensor = Gen.Select(Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[0, 1_000_000], (r, c, seed) => (r, c, seed));
        FuzzHarness.Run("safetensors round trip", tensor.Array[1, 4], 100, ts =>
        {
            var list = ts.Select((t, i) =>
            {
                var data = new double[t.r * t.c];
                new Rng((ulong)t.seed).FillGaussian(data);
                return ($"t{i}", new long[] { t.r, t.c }, data);
            }).ToList();
            SafeTensorsFile.Write(path, list, "F64");
            var f = SafeTensorsFile.Open(path);
            foreach (var (name, shape, data) in list)
            {
                Assert.Equal(shape, f.Info(name).Shape);
                Assert.Equal(data, f.Read(name));
            }
        });
    }

    // ------------------------------------------------------------------ .npy

    private static readonly Gen<byte[]> NpyBytes = Gen.Select(
        Gen.OneOf("'<f8'", "'<f4'", "'>f8'", "'<i4'", "'|b1'", "'<u8'", "'<f2'", "'<c16'", "'zz'", "3", "'<i8'"),
        Gen.OneOf("False", "True", "1", "'x'"),
        Dim.Array[0, 3], Gen.Int[0, 3], Gen.Int[0, 200], Gen.Int[0, 5],
        (descr, fortran, shape, version, data, lenMode) =>
        {
            string tuple = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
            var header = Encoding.Latin1.GetBytes(
                $"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {tuple}, }}\n");
            int v = version == 0 ? 9 : version;
            int pre = v == 1 ? 10 : 12;
            var r = new byte[pre + header.Length + data];
            new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)v, 0 }.CopyTo(r, 0);
            long len = lenMode == 0 ? header.Length + 1000 : lenMode == 1 ? uint.MaxValue : header.Length;
            if (v == 1) BitConverter.GetBytes((ushort)len).CopyTo(r, 8);
            else BitConverter.GetBytes((uint)len).CopyTo(r, 8);
            header.CopyTo(r, pre);
            for (int i = 0; i < data; i++) r[pre + header.Length + i] = (byte)(i * 11 + 3);
            return r;
        });

    [Fact]
    public void NpyHeadersReadOrFailAsInputErrors() =>
        FuzzHarness.Run(".npy header (generated)", NpyBytes, 500, bytes => FuzzHarness.Case(
            Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 120)), () =>
            {
                var a = Npy.Read(bytes, "fuzz.npy");
                Assert.Equal(a.Shape.Aggregate(1L, (x, y) => x * y), a.Data.Length);
            }, memory: 16 << 20));

    [Fact]
    public void NpyRoundTrip() =>
        FuzzHarness.Run(".npy round trip", Gen.Select(Gen.Int[1, 6], Gen.Int[1, 6], Gen.Double[-1e9, 1e9].Array[36, 36],
            (r, c, v) => (r, c, v)), 100, t =>
            {
                var m = new Matrix(t.r, t.c, t.v[..(t.r * t.c)]);
                using var ms = new MemoryStream();
                Npy.Write(ms, m.Data, [t.r, t.c]);
                var a = Npy.Read(ms.ToArray());
                Assert.Equal([t.r, t.c], a.Shape);
                Assert.Equal(m.Data, a.Data);
            });

    // ------------------------------------------------------------------ ONNX

    [Fact]
    public void RandomBytesAsOnnxFailAsInputErrors()
    {
        string path = Path.Combine(_dir, "r.onnx");
        var gen = Gen.Select(Gen.Bool, Gen.Byte.Array[0, 200], (ir, b) => ir && b.Length > 1 ? [0x08, 0x07, .. b] : b);
        FuzzHarness.Run("onnx (random bytes)", gen, 200, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            FuzzHarness.Case(Convert.ToHexString(bytes), () => { using var ex = new OnnxAttentionExtractor(path); },
                memory: 64 << 20);
        });
    }
}
