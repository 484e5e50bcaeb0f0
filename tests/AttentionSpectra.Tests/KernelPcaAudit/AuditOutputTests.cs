using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Open results of an audit: exported tensors, selection errors, the structure note, several models.</summary>
public class AuditOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-audit-out-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static int Run(params string[] args) => CliTests.Run(args);

    private string Bert(string name, ulong seed)
    {
        string model = Path.Combine(_dir, name);
        SafeTensorsFile.Write(model, SafeTensorsTests.TinyBert(new Rng(seed)));
        return model;
    }

    private string Ids()
    {
        string ids = Path.Combine(_dir, "ids.txt");
        File.WriteAllText(ids, "1 2 3 4 5 6 7 8 9 10 11 12");
        return ids;
    }

    /// <summary>An independent .npy reader: magic, version 1.0, little-endian header length, the header dict parsed
    /// with a regular expression, then raw little-endian doubles.</summary>
    private static Matrix<double> ReadNpy(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.Equal(0x93, b[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(b, 1, 5));
        Assert.Equal((1, 0), (b[6], b[7]));
        int hlen = b[8] | (b[9] << 8);
        string header = Encoding.ASCII.GetString(b, 10, hlen);
        Assert.Equal(0, (10 + hlen) % 64);
        Assert.Contains("'descr': '<f8'", header);
        Assert.Contains("'fortran_order': False", header);
        var shape = Regex.Match(header, @"'shape': \((\d+), (\d+)\)");
        Assert.True(shape.Success, header);
        int rows = int.Parse(shape.Groups[1].Value), cols = int.Parse(shape.Groups[2].Value);
        Assert.Equal(10 + hlen + 8 * rows * cols, b.Length);
        var m = Matrix<double>.Build.Dense(rows, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(10 + hlen + 8 * (i * cols + j)));
        return m;
    }

    /// <summary>Linear CKA from centred Gram matrices (HSIC form), independent of the library.</summary>
    private static double LinearCka(Matrix<double> x, Matrix<double> y)
    {
        int n = x.RowCount;
        var h = Matrix<double>.Build.DenseIdentity(n) - Matrix<double>.Build.Dense(n, n, 1.0 / n);
        var kx = h * x * x.Transpose() * h; var ky = h * y * y.Transpose() * h;
        double Dot(Matrix<double> a, Matrix<double> c) => a.PointwiseMultiply(c).Enumerate().Sum();
        return Dot(kx, ky) / Math.Sqrt(Dot(kx, kx) * Dot(ky, ky));
    }

    [Fact]
    public void ExportTensors_AreReadableNpyAndReproduceTheAuditedMetric()
    {
        string o = Path.Combine(_dir, "o"), ex = Path.Combine(_dir, "tensors");
        Assert.Equal(0, Run("kpca", "audit", "--model", Bert("bert.safetensors", 9), "--inputs", Ids(), "--num-heads", "2",
            "--export-tensors", ex, "--out", o, "--quiet"));
        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(ex, "index.json"))).RootElement;
        var heads = index.GetProperty("heads").EnumerateArray().ToList();
        Assert.Equal(4, heads.Count); // 2 layers x 2 heads x 1 input
        var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "kpca", "audit-heads.json"))).RootElement.EnumerateArray().ToList();
        foreach (var h in heads)
        {
            var files = h.GetProperty("files");
            string F(string name) => Path.Combine(ex, files.GetProperty(name).GetString()!);
            var q = ReadNpy(F("q")); var k = ReadNpy(F("k")); var v = ReadNpy(F("v"));
            var att = ReadNpy(F("attention")); var vk = ReadNpy(F("v_kpca"));
            int n = h.GetProperty("tokens").GetInt32();
            Assert.Equal((n, h.GetProperty("head_dim").GetInt32()), (q.RowCount, q.ColumnCount));
            // attention = softmax(q k' / sqrt D), recomputed from the exported q and k
            var s = q * k.Transpose() / Math.Sqrt(q.ColumnCount);
            for (int i = 0; i < n; i++)
            {
                double mx = s.Row(i).Maximum(), z = s.Row(i).Select(x => Math.Exp(x - mx)).Sum();
                for (int j = 0; j < n; j++) Assert.Equal(Math.Exp(s[i, j] - mx) / z, att[i, j], 12);
            }
            // the table's linear CKA is recomputed from the exported V and V_KPCA
            var row = rows.Single(r => r.GetProperty("layer").GetInt32() == h.GetProperty("layer").GetInt32()
                                       && r.GetProperty("head").GetInt32() == h.GetProperty("head").GetInt32());
            Assert.Equal(row.GetProperty("linear_cka").GetDouble(), LinearCka(vk, v), 10);
            Assert.True(h.GetProperty("missing").TryGetProperty("x", out _) || files.TryGetProperty("x", out _));
        }
    }

    [Fact]
    public void OutOfRangeSelection_ErrorsNameTheCounts()
    {
        string model = Bert("bert.safetensors", 9), ids = Ids();
        var e = Assert.Throws<ArgumentException>(() => AuditRunner.Run(
            new AuditRequest(model, InputFiles: [ids], Layers: new HashSet<int> { 1, 7 }, NumHeads: 2), new Rng(1)));
        Assert.Contains("layer index 7", e.Message);
        Assert.Contains("2 attention blocks", e.Message);
        e = Assert.Throws<ArgumentException>(() => AuditRunner.Run(
            new AuditRequest(model, InputFiles: [ids], Heads: new HashSet<int> { 5 }, NumHeads: 2), new Rng(1)));
        Assert.Contains("head index 5", e.Message);
        Assert.Contains("2 heads per attention block", e.Message);
        Assert.Equal(2, Run("kpca", "audit", "--model", model, "--inputs", ids, "--heads", "5", "--num-heads", "2",
            "--quiet", "--out", Path.Combine(_dir, "o")));
        Assert.Equal(2, Run("kpca", "audit", "--model", model, "--cosine-signs", "best", "--quiet", "--out", Path.Combine(_dir, "o")));
    }

    [Fact]
    public void StructureNote_StatesHeadsPerBlockOfTheModelAndTheAuditedSelection()
    {
        var r = AuditRunner.Run(new AuditRequest(Bert("bert.safetensors", 9), InputFiles: [Ids()],
            Heads: new HashSet<int> { 1 }, NumHeads: 2, Options: new(NullPermutations: 0)), new Rng(1));
        Assert.Equal(2, r.HeadsPerLayer);
        Assert.Contains(r.Notes, n => n.Contains("2 attention blocks, 2 heads per block; audited 2 blocks x 1 heads x 1 inputs = 2 head-inputs"));
    }

    [Fact]
    public void SharedInputs_ThatAModelCannotTake_AreSkippedWithANoteOnlyWhenAsked()
    {
        var req = new AuditRequest(Bert("bert.safetensors", 9), InputFiles: [Ids()], Texts: ["hello"], NumHeads: 2,
            Options: new(NullPermutations: 0));
        Assert.Throws<ArgumentException>(() => AuditRunner.Run(req, new Rng(1)));
        var r = AuditRunner.Run(req with { SkipIncompatibleInputs = true }, new Rng(1));
        Assert.Equal(4, r.Heads.Count);
        Assert.Contains(r.Notes, n => n.Contains("1 text input(s) skipped"));
        var onlyText = req with { InputFiles = null, SkipIncompatibleInputs = true };
        Assert.Contains("None of the given inputs", Assert.Throws<ArgumentException>(() => AuditRunner.Run(onlyText, new Rng(1))).Message);
    }

    [Fact]
    public void SeveralModels_WriteACrossModelTable()
    {
        string o = Path.Combine(_dir, "o");
        string a = Bert("a.safetensors", 9), b = Bert("b.safetensors", 10);
        Assert.Equal(0, Run("kpca", "audit", "--model", a, "--model", b, "--inputs", Ids(), "--num-heads", "2",
            "--null-perms", "4", "--out", o, "--quiet"));
        Assert.True(File.Exists(Path.Combine(o, "kpca", "audit-a-summary.json")));
        Assert.True(File.Exists(Path.Combine(o, "kpca", "audit-b-summary.json")));
        var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "kpca", "audit-models.json"))).RootElement.EnumerateArray().ToList();
        Assert.Equal(8, rows.Count); // 2 models x (mean cos, optimal cos, linear CKA, RBF CKA)
        foreach (var m in new[] { "a.safetensors", "b.safetensors" })
        {
            var lin = rows.Single(r => r.GetProperty("model").GetString() == m && r.GetProperty("metric").GetString() == "linear_cka");
            Assert.Equal(0.11, lin.GetProperty("published_mean").GetDouble());
            Assert.InRange(lin.GetProperty("fraction_heads_above").GetDouble(), 0, 1);
            Assert.InRange(lin.GetProperty("p_value").GetDouble(), 0, 1);
            var heads = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "kpca", $"audit-{m[0]}-heads.json"))).RootElement
                .EnumerateArray().Select(r => r.GetProperty("linear_cka").GetDouble()).ToList();
            Assert.Equal(heads.Average(), lin.GetProperty("mean").GetDouble(), 12);
            Assert.Equal(heads.Count(x => x > 0.11) / (double)heads.Count, lin.GetProperty("fraction_heads_above").GetDouble(), 12);
            var opt = rows.Single(r => r.GetProperty("model").GetString() == m && r.GetProperty("metric").GetString() == "optimal_cosine");
            Assert.Equal("raw", opt.GetProperty("cosine_signs").GetString());
        }
    }
}
