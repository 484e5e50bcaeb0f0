using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Models;
using Microsoft.ML.OnnxRuntime.Tensors;
using AttentionSpectra.Tests.KernelPcaAudit.Onnx;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Tiny SVTR/timm-style attention models, written through the generated ONNX protobuf classes.</summary>
internal static class OnnxBuilder
{
    /// <summary>One SVTR/timm-style attention block: qkv = x W + b; reshape [1,N,3,H,D]; transpose [3,1,H,N,D];
    /// gather q,k,v; scores = (q k^T) * scale; softmax; out = attn v.</summary>
    public static byte[] AttentionBlock(int n, int c, int h, double[] w, double[] b, double scale, bool div = false, bool mask = false, bool where = false)
    {
        int d = c / h;
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, n, c]);
        string qkv = g.Node("Add", [g.Node("MatMul", ["x", g.Floats("Wqkv", [c, 3 * c], w)]), g.Floats("bqkv", [3 * c], b)]);
        string r = g.Node("Reshape", [qkv, g.Ints("shape5", [5], [1, n, 3, h, d])]);
        string t = g.Node("Transpose", [r], ("perm", new long[] { 2, 0, 3, 1, 4 }));
        string q = g.Node("Gather", [t, g.Ints("i0", [], [0])], ("axis", 0L));
        string k = g.Node("Gather", [t, g.Ints("i1", [], [1])], ("axis", 0L));
        string v = g.Node("Gather", [t, g.Ints("i2", [], [2])], ("axis", 0L));
        string kt = g.Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }));
        string s = g.Node(div ? "Div" : "Mul", [g.Node("MatMul", [q, kt]), g.Floats("scale", [], [div ? 1 / scale : scale])]);
        if (mask) s = g.Node("Add", [s, g.Floats("mask", [1, 1, 1, n], new double[n])]);
        if (where) s = g.Node("Where", [g.Bools("cond", [1, 1, 1, n], Enumerable.Repeat(true, n).ToArray()), s, g.Floats("fill", [], [-1e9])]);
        string a = g.Node("Softmax", [s], ("axis", -1L));
        string o = g.Node("MatMul", [a, v]);
        g.Output(o);
        return g.Bytes();
    }
}

/// <summary>Fact that is skipped (with the reason) only when the real OCR model is absent.</summary>
public sealed class OcrModelFactAttribute : FactAttribute
{
    public OcrModelFactAttribute()
    {
        if (KpcaCommands.FindOcrModel() == null)
            Skip = "PaddleOCR recogniser not installed: run scripts/get-ocr-model.sh (or set ATTNSPEC_OCR_MODEL) to enable this test.";
    }
}

public class OnnxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-onnx-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false, true)]
    public void TinyAttentionBlock_ExtractedQkvMatchIndependentComputation(bool div, bool mask, bool where = false)
    {
        int n = 7, c = 8, h = 2, d = 4;
        double scale = 0.3; // deliberately not 1/sqrt(d): the loader must fold it into Q
        var rng = new Rng(12);
        var w = new double[c * 3 * c]; rng.FillGaussian(w, 0, 0.5);
        var b = new double[3 * c]; rng.FillGaussian(b, 0, 0.1);
        string path = Path.Combine(_dir, $"attn{div}{mask}{where}.onnx");
        File.WriteAllBytes(path, OnnxBuilder.AttentionBlock(n, c, h, w, b, scale, div, mask, where));
        using var ex = new OnnxAttentionExtractor(path);
        Assert.Equal(1, ex.LayerCount);
        var x = new double[n * c]; rng.FillGaussian(x, 0, 1);
        var xt = new DenseTensor<float>(x.Select(z => (float)z).ToArray(), [1, n, c]);
        var extracted = ex.Extract(new Dictionary<string, Tensor<float>> { ["x"] = xt }, "x");
        var heads = extracted.Heads;
        Assert.Equal(mask || where, extracted.Notes.Any(s => s.Contains("zero for this input")));
        Assert.Equal(h, heads.Count);
        // independent: qkv[i, s*c + hh*d + j] = sum_m x[i,m] W[m, s*c + hh*d + j] + b (float32 inputs)
        double Qkv(int i, int s, int hh, int j)
        {
            int col = s * c + hh * d + j;
            double acc = (float)b[col];
            for (int m = 0; m < c; m++) acc += (float)x[i * c + m] * (double)(float)w[m * 3 * c + col];
            return acc;
        }
        foreach (var head in heads)
        {
            Assert.True(head.ModelAttentionError < 1e-5, $"attention check {head.ModelAttentionError}");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++)
                {
                    Assert.Equal(Qkv(i, 0, head.Head, j) * scale * Math.Sqrt(d), head.Q[i, j], 1e-4);
                    Assert.Equal(Qkv(i, 1, head.Head, j), head.K[i, j], 1e-4);
                    Assert.Equal(Qkv(i, 2, head.Head, j), head.V[i, j], 1e-4);
                }
        }
    }

    [Fact]
    public void BadOnnxFiles_GiveSpecificErrors()
    {
        var rng = new Rng(13);
        var w = new double[8 * 24]; rng.FillGaussian(w, 0, 0.5);
        var bytes = OnnxBuilder.AttentionBlock(5, 8, 2, w, new double[24], 0.5);
        string cut = Path.Combine(_dir, "cut.onnx");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => new OnnxAttentionExtractor(cut));
        Assert.Contains("truncated", e.Message);

        Assert.Throws<FileNotFoundException>(() => new OnnxAttentionExtractor(Path.Combine(_dir, "missing.onnx")));

        string text = Path.Combine(_dir, "text.onnx");
        File.WriteAllText(text, "this is not a model at all, just some text");
        Assert.Contains("not", Assert.Throws<InvalidDataException>(() => new OnnxAttentionExtractor(text)).Message);

        // valid ONNX without attention
        var rg = new OnnxGraphBuilder();
        rg.Input("x", OnnxGraphBuilder.Float, [1, 4]);
        rg.Output(rg.Node("Relu", ["x"]));
        var relu = rg.Bytes();
        string noAttn = Path.Combine(_dir, "relu.onnx");
        File.WriteAllBytes(noAttn, relu);
        Assert.Contains("no self-attention found", Assert.Throws<InvalidDataException>(() => new OnnxAttentionExtractor(noAttn)).Message);
    }

    [Fact]
    public void ImageFile_IsResizedAndNormalised()
    {
        string png = Path.Combine(_dir, "img.png");
        using (var bmp = new SkiaSharp.SKBitmap(20, 10))
        {
            for (int y = 0; y < 10; y++) for (int x = 0; x < 20; x++) bmp.SetPixel(x, y, x < 10 ? SkiaSharp.SKColors.White : new SkiaSharp.SKColor(255, 0, 51));
            using var f = File.Create(png);
            bmp.Encode(f, SkiaSharp.SKEncodedImageFormat.Png, 100);
        }
        var t = OnnxInputs.FromImageFile(png, [1, 3, 4, 8], ImageNormalisation.Half);
        Assert.Equal(new[] { 1, 3, 4, 8 }, t.Dimensions.ToArray());
        // left half white -> (1 - 0.5)/0.5 = 1 in every channel; right half (255, 0, 51) -> (1, -1, -0.6)
        Assert.Equal(1f, t[0, 0, 1, 1], 3); Assert.Equal(1f, t[0, 2, 2, 0], 3);
        Assert.Equal(1f, t[0, 0, 1, 7], 3); Assert.Equal(-1f, t[0, 1, 1, 7], 3); Assert.Equal(-0.6f, t[0, 2, 3, 6], 2);
        var tn = OnnxInputs.FromImageFile(png, [1, 3, 4, 8], ImageNormalisation.ImageNet);
        Assert.Equal((1 - 0.485) / 0.229, tn[0, 0, 0, 0], 3);
        string notImage = Path.Combine(_dir, "x.png");
        File.WriteAllText(notImage, "not an image");
        Assert.Contains("not a decodable image", Assert.Throws<InvalidDataException>(() => OnnxInputs.FromImageFile(notImage, [1, 3, 4, 8], ImageNormalisation.Half)).Message);
    }

    [OcrModelFact]
    public void RealOcrModel_TwoTrainedBlocksAreFoundAndAudited()
    {
        string path = KpcaCommands.FindOcrModel()!;
        // the rendered text is in distribution: the recogniser reads it back (validates resize/normalisation)
        var keys = PaddleOcr.FindKeys(path);
        Assert.NotNull(keys);
        Assert.Equal("kernel PCA", PaddleOcr.Recognise(path, OnnxInputs.FromText("kernel PCA", [1, 3, 48, 320], ImageNormalisation.Half), keys!).Trim());
        var r = AuditRunner.Run(new AuditRequest(path, ModelFormat.Onnx, Texts: ["kernel PCA"], Normalisation: ImageNormalisation.Half,
            Options: new AuditOptions(NullPermutations: 4)), new Rng(1));
        Assert.Equal(2, r.LayerCount);
        Assert.Equal(8, r.HeadsPerLayer);
        Assert.Equal(16, r.Heads.Count);
        foreach (var m in r.Heads)
        {
            // the kernel view reproduces the model's own softmax up to float32 rounding
            Assert.NotNull(m.ModelAttentionError);
            Assert.True(m.ModelAttentionError < 1e-4, $"L{m.Layer}H{m.Head}: {m.ModelAttentionError}");
            Assert.True(m.GammaTrue.Residual < 1e-8);
            Assert.InRange(m.LinearCka, 0, 1);
            Assert.InRange(m.OptimalCosine, -1, 1);
            Assert.True(m.Tokens >= 2 && m.HeadDim >= 1);
        }
    }
}
