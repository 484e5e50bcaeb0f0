using System.Numerics.Tensors;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.VitTraining;

namespace AttentionSpectra.Tests.VitTraining;

/// <summary>The exported safetensors file is read by the audit's ViT forward pass (timm names), which reproduces the
/// trainer's per-head Q, K, V and its logits; an independent plain-loop forward pass written here from the file
/// reproduces the logits too.</summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnspec-vit-" + Guid.NewGuid().ToString("N"));

    public ExportTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (VitModel Model, ImageDataset Data) Trained()
    {
        var rng = new Rng(5);
        var data = ImageDataset.Digits(rng.Split(0));
        var cfg = new VitConfig(Dim: 16, Heads: 2, Layers: 2, MlpDim: 24);
        var r = VitTrainer.Train(data, cfg, new VitTrainingOptions(Steps: 30, Batch: 16, ProbeEvery: 30,
            ProbeImages: 2), rng.Split(1));
        return (r.Model, data);
    }

    private string Export(VitModel model)
    {
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsFile.Write(path, model.ExportTensors(), "F64");
        File.WriteAllText(Path.Combine(_dir, "config.json"), $"{{\"num_heads\": {model.Config.Heads}}}");
        return path;
    }

    [Fact]
    public void AuditForwardPass_ReproducesTrainerQkvAndLogits()
    {
        var (model, data) = Trained();
        string path = Export(model);
        var file = SafeTensorsFile.Open(path);
        var enc = new SafeTensorsEncoder(file);
        Assert.Equal(EncoderKind.Vit, enc.Kind);
        Assert.False(enc.HuggingFaceVit);
        Assert.Equal((2, 2, 8, 2, 16), (enc.Layers, enc.Heads, enc.ImageSize, enc.PatchSize, enc.Hidden));
        var images = new Matrix(3, 64);
        for (int i = 0; i < 3; i++) data.TestImages.RowReadOnly(i).CopyTo(images.Row(i));
        var cap = model.Capture(images);
        double worst = 0;
        for (int im = 0; im < 3; im++)
        {
            var ex = enc.Extract($"img{im}", null, images.Row(im).ToArray());
            Assert.Equal(4, ex.Heads.Count);
            foreach (var h in ex.Heads)
            {
                var c = cap[h.Layer][im][h.Head];
                worst = Math.Max(worst, RelErr(c.Q, h.Q));
                worst = Math.Max(worst, RelErr(c.K, h.K));
                worst = Math.Max(worst, RelErr(c.V, h.V));
            }
        }
        Assert.True(worst <= 1e-6, $"audit Q/K/V differ from the trainer's by {worst:E2} (relative)");
        var logits = model.Logits(images);
        var indep = IndependentLogits(file, images, model.Config);
        Assert.True(RelErr(logits, indep) <= 1e-6, $"logits differ by {RelErr(logits, indep):E2} (relative)");
        var audit = new Matrix(images.Rows, logits.Cols);
        for (int im = 0; im < images.Rows; im++) enc.ClassifierLogits(images.Row(im).ToArray()).CopyTo(audit.Row(im));
        Assert.True(RelErr(logits, audit) <= 1e-6, $"audit forward logits differ by {RelErr(logits, audit):E2}");
        // the predicted classes agree too (the logits are not all equal)
        for (int im = 0; im < images.Rows; im++)
            Assert.Equal(ArgMax(logits.Row(im)), ArgMax(audit.Row(im)));
        // `kpca audit` on the file runs end to end and audits every head.
        var r = AuditRunner.Run(new AuditRequest(path, RandomInputs: 1), new Rng(1));
        Assert.Equal("safetensors-vit", r.Kind);
        Assert.Equal(4, r.Heads.Count);
    }

    [Fact]
    public void OnnxExport_RunsInOnnxRuntime_WithTheTrainersLogits_AndIsAudited()
    {
        var (model, data) = Trained();
        string path = Path.Combine(_dir, "model.onnx");
        File.WriteAllBytes(path, VitOnnxExport.Write(model));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var images = new Matrix(1, 64);
        double worst = 0;
        for (int im = 0; im < 4; im++)
        {
            data.TestImages.RowReadOnly(im).CopyTo(images.Row(0));
            var t = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>([1, 1, 8, 8]);
            for (int k = 0; k < 64; k++) t.Buffer.Span[k] = (float)images[0, k];
            using var outs = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("pixel_values", t)]);
            var got = outs.Single(o => o.Name == "logits").AsTensor<float>().ToArray();
            var want = model.Logits(images);
            worst = Math.Max(worst, RelErr(want, new Matrix(1, 10, [.. got.Select(v => (double)v)])));
        }
        // float32 weights and activations: agreement to float precision.
        Assert.True(worst < 1e-5, $"ONNX logits differ from the trainer's by {worst:E2} (relative)");
        var r = AuditRunner.Run(new AuditRequest(path, RandomInputs: 1), new Rng(1));
        Assert.Equal(2, r.LayerCount);
        Assert.Equal(4, r.Heads.Count);
    }

    private static int ArgMax(ReadOnlySpan<double> v) => TensorPrimitives.IndexOfMax(v);

    private static double RelErr(Matrix a, Matrix b)
    {
        Assert.Equal((a.Rows, a.Cols), (b.Rows, b.Cols));
        var d = new double[a.Data.Length];
        TensorPrimitives.Subtract(a.Data, b.Data, d);
        return TensorPrimitives.Norm<double>(d) / Math.Max(TensorPrimitives.Norm<double>(a.Data), 1e-300);
    }

    /// <summary>A plain-loop timm ViT forward pass (pre-LN blocks, exact-erf GELU via MathNet, class-token
    /// head).</summary>
    private static Matrix IndependentLogits(SafeTensorsFile f, Matrix images, VitConfig cfg)
    {
        int c = cfg.Dim, n = cfg.Tokens, p = cfg.PatchSize, g = cfg.ImageSide / p, dh = cfg.HeadDim;
        double[] T(string name) => f.Read(name);
        var result = new Matrix(images.Rows, cfg.Classes);
        for (int im = 0; im < images.Rows; im++)
        {
            var img = images.RowReadOnly(im).ToArray();
            var x = new double[n, c];
            double[] wp = T("patch_embed.proj.weight"), bp = T("patch_embed.proj.bias"), cls = T("cls_token"),
                pos = T("pos_embed");
            for (int k = 0; k < c; k++) x[0, k] = cls[k] + pos[k];
            for (int py = 0; py < g; py++)
                for (int px = 0; px < g; px++)
                {
                    int t = 1 + py * g + px;
                    for (int k = 0; k < c; k++)
                    {
                        double s = bp[k];
                        for (int ky = 0; ky < p; ky++)
                            for (int kx = 0; kx < p; kx++)
                                s += wp[(k * p + ky) * p + kx] * img[(py * p + ky) * cfg.ImageSide + px * p + kx];
                        x[t, k] = s + pos[t * c + k];
                    }
                }
            for (int l = 0; l < cfg.Layers; l++)
            {
                string b = $"blocks.{l}.";
                var u = Ln(x, T(b + "norm1.weight"), T(b + "norm1.bias"));
                var qkv = Lin(u, T(b + "attn.qkv.weight"), T(b + "attn.qkv.bias"), 3 * c);
                var ctx = new double[n, c];
                for (int h = 0; h < cfg.Heads; h++)
                    for (int i = 0; i < n; i++)
                    {
                        var s = new double[n];
                        for (int j = 0; j < n; j++)
                        {
                            for (int d = 0; d < dh; d++) s[j] += qkv[i, h * dh + d] * qkv[j, c + h * dh + d];
                            s[j] /= Math.Sqrt(dh);
                        }
                        double mx = s.Max(), z = s.Sum(v => Math.Exp(v - mx));
                        for (int j = 0; j < n; j++)
                            for (int d = 0; d < dh; d++) ctx[i, h * dh + d] += Math.Exp(s[j] - mx) / z * qkv[j,
                                2 * c + h * dh + d];
                    }
                var a = Lin(ctx, T(b + "attn.proj.weight"), T(b + "attn.proj.bias"), c);
                for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) x[i, k] += a[i, k];
                var hid = Lin(Ln(x, T(b + "norm2.weight"), T(b + "norm2.bias")), T(b + "mlp.fc1.weight"),
                    T(b + "mlp.fc1.bias"), cfg.MlpDim);
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < cfg.MlpDim; k++)
                        hid[i, k] = 0.5 * hid[i, k] * (1 + MathNet.Numerics.SpecialFunctions.Erf(hid[i,
                            k] / Math.Sqrt(2)));
                var m = Lin(hid, T(b + "mlp.fc2.weight"), T(b + "mlp.fc2.bias"), c);
                for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) x[i, k] += m[i, k];
            }
            var z0 = Ln(x, T("norm.weight"), T("norm.bias"));
            var clsRow = new double[1, c];
            for (int k = 0; k < c; k++) clsRow[0, k] = z0[0, k];
            var lg = Lin(clsRow, T("head.weight"), T("head.bias"), cfg.Classes);
            for (int k = 0; k < cfg.Classes; k++) result[im, k] = lg[0, k];
        }
        return result;
    }

    private static double[,] Lin(double[,] x, double[] w, double[] b, int outDim)
    {
        int n = x.GetLength(0), inDim = x.GetLength(1);
        var y = new double[n, outDim];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outDim; o++)
            {
                double s = b[o];
                for (int k = 0; k < inDim; k++) s += w[o * inDim + k] * x[i, k];
                y[i, o] = s;
            }
        return y;
    }

    private static double[,] Ln(double[,] x, double[] g, double[] b)
    {
        int n = x.GetLength(0), c = x.GetLength(1);
        var y = new double[n, c];
        for (int i = 0; i < n; i++)
        {
            double mean = 0, var = 0;
            for (int k = 0; k < c; k++) mean += x[i, k] / c;
            for (int k = 0; k < c; k++) var += (x[i, k] - mean) * (x[i, k] - mean) / c;
            for (int k = 0; k < c; k++) y[i, k] = (x[i, k] - mean) / Math.Sqrt(var + 1e-6) * g[k] + b[k];
        }
        return y;
    }
}
