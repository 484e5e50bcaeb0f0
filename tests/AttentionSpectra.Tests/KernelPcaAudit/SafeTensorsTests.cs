using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Tiny BERT-style and ViT-style models written by the test as safetensors; the loader's per-head Q/K/V are
/// checked against an independent, naive (loop-based) forward pass written here.</summary>
public class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-st-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private const int C = 8, Heads = 2, Ff = 16, Layers = 2;

    private static double[] Rand(Rng r, int n, double s = 0.4) { var a = new double[n]; r.FillGaussian(a, 0, s); return a; }

    private static void AddLayerTensors(List<(string, long[], double[])> t, Rng r, string p, string[] names)
    {
        foreach (var n in names)
        {
            var parts = n.Split(':');
            int o = int.Parse(parts[1]), i = int.Parse(parts[2]);
            t.Add((p + parts[0] + ".weight", [o, i], Rand(r, o * i)));
            t.Add((p + parts[0] + ".bias", [o], Rand(r, o, 0.1)));
        }
    }

    private static void AddNorm(List<(string, long[], double[])> t, Rng r, string name)
    {
        t.Add((name + ".weight", [C], Rand(r, C, 0.1).Select(x => 1 + x).ToArray()));
        t.Add((name + ".bias", [C], Rand(r, C, 0.1)));
    }

    internal static List<(string, long[], double[])> TinyBert(Rng r, int vocab = 20, int pos = 16)
    {
        var t = new List<(string, long[], double[])>
        {
            ("bert.embeddings.word_embeddings.weight", [vocab, C], Rand(r, vocab * C, 1)),
            ("bert.embeddings.position_embeddings.weight", [pos, C], Rand(r, pos * C, 0.5)),
            ("bert.embeddings.token_type_embeddings.weight", [2, C], Rand(r, 2 * C, 0.5)),
        };
        AddNorm(t, r, "bert.embeddings.LayerNorm");
        for (int l = 0; l < Layers; l++)
        {
            string p = $"bert.encoder.layer.{l}.";
            AddLayerTensors(t, r, p, [$"attention.self.query:{C}:{C}", $"attention.self.key:{C}:{C}", $"attention.self.value:{C}:{C}",
                $"attention.output.dense:{C}:{C}", $"intermediate.dense:{Ff}:{C}", $"output.dense:{C}:{Ff}"]);
            AddNorm(t, r, p + "attention.output.LayerNorm");
            AddNorm(t, r, p + "output.LayerNorm");
        }
        return t;
    }

    internal static List<(string, long[], double[])> TinyVit(Rng r, int patch = 4, int img = 8)
    {
        int np = (img / patch) * (img / patch);
        var t = new List<(string, long[], double[])>
        {
            ("patch_embed.proj.weight", [C, 3, patch, patch], Rand(r, C * 3 * patch * patch, 0.3)),
            ("patch_embed.proj.bias", [C], Rand(r, C, 0.1)),
            ("cls_token", [1, 1, C], Rand(r, C, 1)),
            ("pos_embed", [1, np + 1, C], Rand(r, (np + 1) * C, 0.5)),
        };
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blocks.{l}.";
            AddNorm(t, r, p + "norm1"); AddNorm(t, r, p + "norm2");
            AddLayerTensors(t, r, p, [$"attn.qkv:{3 * C}:{C}", $"attn.proj:{C}:{C}", $"mlp.fc1:{Ff}:{C}", $"mlp.fc2:{C}:{Ff}"]);
        }
        return t;
    }

    // ---------------- naive reference (independent of the library's forward) ----------------
    private sealed class W(List<(string Name, long[] Shape, double[] Data)> t)
    {
        private readonly Dictionary<string, (long[] Shape, double[] Data)> _d = t.ToDictionary(x => x.Name, x => (x.Shape, x.Data));
        // round through float32 exactly as stored
        public double[] this[string n] => _d[n].Data.Select(x => (double)(float)x).ToArray();
    }

    private static double[][] Lin(double[][] x, double[] w, double[] b, int o)
    {
        int i = x[0].Length;
        return x.Select(row => Enumerable.Range(0, o).Select(r => b[r] + Enumerable.Range(0, i).Sum(c => w[r * i + c] * row[c])).ToArray()).ToArray();
    }

    private static double[][] Ln(double[][] x, double[] g, double[] b, double eps) => x.Select(row =>
    {
        double m = row.Average(), v = row.Sum(z => (z - m) * (z - m)) / row.Length;
        return row.Select((z, k) => (z - m) / Math.Sqrt(v + eps) * g[k] + b[k]).ToArray();
    }).ToArray();

    private static double[][] Add(double[][] a, double[][] b) => a.Select((r, i) => r.Select((z, k) => z + b[i][k]).ToArray()).ToArray();

    private static double[][] Gelu(double[][] x) => x.Select(r => r.Select(z => 0.5 * z * (1 + MathNet.Numerics.SpecialFunctions.Erf(z / Math.Sqrt(2)))).ToArray()).ToArray();

    private static double[][] Slice(double[][] x, int start, int len) => x.Select(r => r.Skip(start).Take(len).ToArray()).ToArray();

    private static double[][] Mha(double[][] q, double[][] k, double[][] v)
    {
        int n = q.Length, dh = C / Heads;
        var o = new double[n][];
        for (int i = 0; i < n; i++) o[i] = new double[C];
        for (int h = 0; h < Heads; h++)
            for (int i = 0; i < n; i++)
            {
                var s = new double[n];
                for (int j = 0; j < n; j++) for (int d = 0; d < dh; d++) s[j] += q[i][h * dh + d] * k[j][h * dh + d] / Math.Sqrt(dh);
                double mx = s.Max(); var e = s.Select(z => Math.Exp(z - mx)).ToArray(); double z0 = e.Sum();
                for (int j = 0; j < n; j++) for (int d = 0; d < dh; d++) o[i][h * dh + d] += e[j] / z0 * v[j][h * dh + d];
            }
        return o;
    }

    private static void AssertHeads(IReadOnlyList<CapturedHead> got, int layer, double[][] q, double[][] k, double[][] v)
    {
        int dh = C / Heads;
        for (int h = 0; h < Heads; h++)
        {
            var head = got.Single(x => x.Layer == layer && x.Head == h);
            for (int i = 0; i < q.Length; i++)
                for (int d = 0; d < dh; d++)
                {
                    Assert.Equal(q[i][h * dh + d], head.Q[i, d], 1e-6);
                    Assert.Equal(k[i][h * dh + d], head.K[i, d], 1e-6);
                    Assert.Equal(v[i][h * dh + d], head.V[i, d], 1e-6);
                }
        }
    }

    [Fact]
    public void Bert_ExtractedQkvMatchNaiveForward()
    {
        var t = TinyBert(new Rng(1));
        string path = Path.Combine(_dir, "bert.safetensors");
        SafeTensorsFile.Write(path, t);
        var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(path), heads: Heads);
        Assert.Equal(EncoderKind.Bert, enc.Kind);
        Assert.Equal(Layers, enc.Layers);
        int[] ids = [3, 7, 1, 19, 0, 5, 5, 12, 9];
        var got = enc.Extract("ids", ids, null).Heads;
        Assert.Equal(Layers * Heads, got.Count);
        var w = new W(t); string b = "bert.";
        var x = ids.Select((id, i) => Enumerable.Range(0, C).Select(c => w[b + "embeddings.word_embeddings.weight"][id * C + c] +
            w[b + "embeddings.position_embeddings.weight"][i * C + c] + w[b + "embeddings.token_type_embeddings.weight"][c]).ToArray()).ToArray();
        x = Ln(x, w[b + "embeddings.LayerNorm.weight"], w[b + "embeddings.LayerNorm.bias"], 1e-12);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"{b}encoder.layer.{l}.";
            double[][] L(double[][] z, string n, int o) => Lin(z, w[p + n + ".weight"], w[p + n + ".bias"], o);
            var q = L(x, "attention.self.query", C); var k = L(x, "attention.self.key", C); var v = L(x, "attention.self.value", C);
            AssertHeads(got, l, q, k, v);
            x = Ln(Add(L(Mha(q, k, v), "attention.output.dense", C), x), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], 1e-12);
            x = Ln(Add(L(Gelu(L(x, "intermediate.dense", Ff)), "output.dense", C), x), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], 1e-12);
        }
    }

    [Fact]
    public void Vit_ExtractedQkvMatchNaiveForward()
    {
        var t = TinyVit(new Rng(2));
        string path = Path.Combine(_dir, "vit.safetensors");
        SafeTensorsFile.Write(path, t);
        var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(path), heads: Heads);
        Assert.Equal(EncoderKind.Vit, enc.Kind);
        Assert.Equal(8, enc.ImageSize);
        var img = new double[3 * 8 * 8];
        new Rng(3).FillGaussian(img, 0, 1);
        var got = enc.Extract("img", null, img).Heads;
        var w = new W(t);
        // patches: conv with stride = kernel = 4 over a 3 x 8 x 8 image, written as explicit sums
        var tokens = new List<double[]> { w["cls_token"] };
        for (int py = 0; py < 2; py++)
            for (int px = 0; px < 2; px++)
                tokens.Add(Enumerable.Range(0, C).Select(o =>
                {
                    double s = w["patch_embed.proj.bias"][o];
                    for (int ch = 0; ch < 3; ch++) for (int ky = 0; ky < 4; ky++) for (int kx = 0; kx < 4; kx++)
                        s += w["patch_embed.proj.weight"][((o * 3 + ch) * 4 + ky) * 4 + kx] * img[(ch * 8 + py * 4 + ky) * 8 + px * 4 + kx];
                    return s;
                }).ToArray());
        var x = tokens.Select((r, i) => r.Select((z, c) => z + w["pos_embed"][i * C + c]).ToArray()).ToArray();
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blocks.{l}.";
            double[][] L(double[][] z, string n, int o) => Lin(z, w[p + n + ".weight"], w[p + n + ".bias"], o);
            var hn = Ln(x, w[p + "norm1.weight"], w[p + "norm1.bias"], 1e-6);
            var qkv = L(hn, "attn.qkv", 3 * C);
            var q = Slice(qkv, 0, C); var k = Slice(qkv, C, C); var v = Slice(qkv, 2 * C, C);
            AssertHeads(got, l, q, k, v);
            x = Add(x, L(Mha(q, k, v), "attn.proj", C));
            x = Add(x, L(Gelu(L(Ln(x, w[p + "norm2.weight"], w[p + "norm2.bias"], 1e-6), "mlp.fc1", Ff)), "mlp.fc2", C));
        }
    }

    /// <summary>The same weights under Hugging Face ViTModel names (separate query/key/value) give the same heads as
    /// under timm names (fused qkv), which the previous test checks against the naive forward.</summary>
    [Fact]
    public void HfVitNames_GiveTheSameHeadsAsTimmNames()
    {
        var t = TinyVit(new Rng(22));
        var hf = new List<(string, long[], double[])>();
        string Map(string n)
        {
            var parts = n.Split('.');
            if (n == "cls_token") return "vit.embeddings.cls_token";
            if (n == "pos_embed") return "vit.embeddings.position_embeddings";
            if (n.StartsWith("patch_embed.proj")) return "vit.embeddings.patch_embeddings.projection." + parts[^1];
            string l = parts[1], rest = string.Join('.', parts[2..]);
            string b = $"vit.encoder.layer.{l}.";
            return rest switch
            {
                var r when r.StartsWith("norm1") => b + "layernorm_before." + parts[^1],
                var r when r.StartsWith("norm2") => b + "layernorm_after." + parts[^1],
                var r when r.StartsWith("attn.proj") => b + "attention.output.dense." + parts[^1],
                var r when r.StartsWith("mlp.fc1") => b + "intermediate.dense." + parts[^1],
                var r when r.StartsWith("mlp.fc2") => b + "output.dense." + parts[^1],
                _ => throw new InvalidOperationException(n),
            };
        }
        foreach (var (name, shape, data) in t)
        {
            if (!name.Contains("attn.qkv")) { hf.Add((Map(name), shape, data)); continue; }
            string l = name.Split('.')[1], kind = name.Split('.')[^1];
            string[] qkv = ["query", "key", "value"];
            for (int s = 0; s < 3; s++)
            {
                var part = kind == "weight" ? data.Skip(s * C * C).Take(C * C).ToArray() : data.Skip(s * C).Take(C).ToArray();
                hf.Add(($"vit.encoder.layer.{l}.attention.attention.{qkv[s]}.{kind}", kind == "weight" ? [C, C] : [C], part));
            }
        }
        string p1 = Path.Combine(_dir, "timm.safetensors"), p2 = Path.Combine(_dir, "hf.safetensors");
        SafeTensorsFile.Write(p1, t); SafeTensorsFile.Write(p2, hf);
        var img = new double[3 * 8 * 8];
        new Rng(23).FillGaussian(img, 0, 1);
        var a = new SafeTensorsEncoder(SafeTensorsFile.Open(p1), Heads, eps: 1e-6).Extract("i", null, img).Heads;
        var encHf = new SafeTensorsEncoder(SafeTensorsFile.Open(p2), Heads, eps: 1e-6);
        Assert.True(encHf.HuggingFaceVit);
        var b2 = encHf.Extract("i", null, img).Heads;
        Assert.Equal(a.Count, b2.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Q.Data, b2[i].Q.Data);
            Assert.Equal(a[i].K.Data, b2[i].K.Data);
            Assert.Equal(a[i].V.Data, b2[i].V.Data);
        }
    }

    [Fact]
    public void Reader_RoundTripsAndHalfPrecision()
    {
        string path = Path.Combine(_dir, "rt.safetensors");
        SafeTensorsFile.Write(path, [("a", [2, 3], [1, -2, 3.5, 0.25, 1e-3, 7]), ("b", [4], [1, 2, 3, 4])], "F64");
        var f = SafeTensorsFile.Open(path);
        Assert.Equal([1, -2, 3.5, 0.25, 1e-3, 7], f.Read("a"));
        Assert.Equal(3, f.Matrix("a").Cols);
        // hand-made F16 / BF16 file: 1.5 = 0x3E00 (F16), 1.5 = 0x3FC0 (BF16)
        string p2 = Path.Combine(_dir, "half.safetensors");
        WriteRaw(p2, """{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}""", [0x00, 0x3E, 0xC0, 0x3F]);
        var h = SafeTensorsFile.Open(p2);
        Assert.Equal(1.5, h.Read("h")[0]);
        Assert.Equal(1.5, h.Read("b")[0]);
    }

    private static void WriteRaw(string path, string header, byte[] data, long? claimedLength = null)
    {
        var hb = System.Text.Encoding.UTF8.GetBytes(header);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)(claimedLength ?? hb.Length)));
        fs.Write(hb); fs.Write(data);
    }

    [Fact]
    public void BadFiles_GiveSpecificErrors()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(Path.Combine(_dir, "nope.safetensors")));
        Assert.Contains("not found", missing.Message);

        string tiny = Path.Combine(_dir, "tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(tiny)).Message);

        string beyond = Path.Combine(_dir, "beyond.safetensors");
        WriteRaw(beyond, "{}", [], claimedLength: 1_000_000);
        Assert.Contains("beyond the file size", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(beyond)).Message);

        string notJson = Path.Combine(_dir, "notjson.safetensors");
        WriteRaw(notJson, "hello world", []);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(notJson)).Message);

        // truncated: a real model with its tail cut off -> offsets out of range
        string good = Path.Combine(_dir, "good.safetensors");
        SafeTensorsFile.Write(good, TinyBert(new Rng(4)));
        var bytes = File.ReadAllBytes(good);
        string cut = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        Assert.Contains("out of range", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(cut)).Message);

        string dtype = Path.Combine(_dir, "i8.safetensors");
        WriteRaw(dtype, """{"x":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}""", [1, 2]);
        Assert.Contains("unsupported dtype I8", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(dtype).Read("x")).Message);

        // a BERT file without the layer-1 key weight: the missing name is reported
        var t = TinyBert(new Rng(5)).Where(x => x.Item1 != "bert.encoder.layer.1.attention.self.key.weight").ToList();
        string partial = Path.Combine(_dir, "partial.safetensors");
        SafeTensorsFile.Write(partial, t);
        var enc = new SafeTensorsEncoder(SafeTensorsFile.Open(partial), heads: Heads);
        var e = Assert.Throws<InvalidDataException>(() => enc.Extract("x", [1, 2, 3], null));
        Assert.Contains("missing expected weight 'bert.encoder.layer.1.attention.self.key.weight'", e.Message);

        string other = Path.Combine(_dir, "other.safetensors");
        SafeTensorsFile.Write(other, [("foo.weight", [2, 2], [1, 2, 3, 4])]);
        Assert.Contains("not a recognised encoder", Assert.Throws<InvalidDataException>(() => new SafeTensorsEncoder(SafeTensorsFile.Open(other))).Message);

        string garbage = Path.Combine(_dir, "garbage.bin");
        File.WriteAllBytes(garbage, [0xFF, 0xFE, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE]);
        Assert.Contains("neither an ONNX model nor a safetensors file", Assert.Throws<InvalidDataException>(() => AuditRunner.Detect(garbage)).Message);
    }

    [Fact]
    public void AuditRunner_AuditsSafetensorsModelEndToEnd()
    {
        string path = Path.Combine(_dir, "vit2.safetensors");
        SafeTensorsFile.Write(path, TinyVit(new Rng(6)));
        var r = AuditRunner.Run(new AuditRequest(path, RandomInputs: 2, NumHeads: Heads), new Rng(7));
        Assert.Equal("safetensors-vit", r.Kind);
        Assert.Equal(2 * Layers * Heads, r.Heads.Count);
        foreach (var m in r.Heads)
        {
            Assert.InRange(m.LinearCka, 0, 1 + 1e-12);
            Assert.InRange(m.RbfCka, -1e-12, 1 + 1e-12);
            Assert.InRange(m.OptimalCosine, -1, 1 + 1e-12);
        }
        // deterministic for a given seed
        var r2 = AuditRunner.Run(new AuditRequest(path, RandomInputs: 2, NumHeads: Heads), new Rng(7));
        Assert.Equal(r.Heads.Select(h => h.OptimalCosine), r2.Heads.Select(h => h.OptimalCosine));
        Assert.Equal(r.Heads.Select(h => h.GammaControl.Residual), r2.Heads.Select(h => h.GammaControl.Residual));
    }
}
