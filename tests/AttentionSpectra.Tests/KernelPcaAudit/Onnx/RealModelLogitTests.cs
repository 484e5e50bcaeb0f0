using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Tests.KernelPcaAudit.Onnx;

/// <summary>The real models audit with every head passing the pre-softmax logit check at 1e-5.</summary>
public class RealModelLogitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-real-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void MiniLm_AllSeventyTwoHeadsReproduceTheModelsLogits()
    {
        string path = BuiltinModels.MaterializeMiniLm(_dir);
        using var ex = new OnnxAttentionExtractor(path);
        Assert.Equal(6, ex.LayerCount);
        // [CLS] the cat sat on the mat [SEP] with the uncased BERT vocabulary
        long[] ids = [101, 1996, 4937, 2938, 2006, 1996, 13523, 102];
        var feeds = new Dictionary<string, Tensor<float>>();
        foreach (var (name, _, _) in ex.Inputs)
        {
            var t = new DenseTensor<float>([1, ids.Length]);
            for (int k = 0; k < ids.Length; k++)
                t[0, k] = name.Contains("mask") ? 1 : name.Contains("type") ? 0 : ids[k];
            feeds[name] = t;
        }
        var e = ex.Extract(feeds, "cat");
        Assert.Equal(72, e.Heads.Count);
        Assert.Equal(12, e.HeadsPerLayer);
        foreach (var h in e.Heads)
        {
            Assert.True(h.LogitError <= 1e-5, $"L{h.Layer}H{h.Head}: logit error {h.LogitError}");
            Assert.Equal(1 / Math.Sqrt(32), h.LogitScale!.Value, 1e-6);
            Assert.Equal(32, h.HeadDim);
        }
        Assert.Contains(e.Notes, n => n.StartsWith("logit check: 72 of 72"));
    }

    [OcrModelFact]
    public void OcrRecogniser_AllHeadsReproduceTheModelsLogits()
    {
        string path = KpcaCommands.FindOcrModel()!;
        using var ex = new OnnxAttentionExtractor(path);
        var img = OnnxInputs.FromText("kernel PCA", [1, 3, 48, 320], ImageNormalisation.Half);
        var e = ex.Extract(new Dictionary<string, Tensor<float>> { [ex.Inputs[0].Name] = img }, "text");
        Assert.Equal(16, e.Heads.Count);
        Assert.All(e.Heads, h => Assert.True(h.LogitError <= 1e-5, $"L{h.Layer}H{h.Head}: {h.LogitError}"));

        // an absurdly wide input is refused up front with the estimate, not attempted
        var huge = new DenseTensor<float>([1, 3, 48, 100000]);
        var err = Assert.Throws<ArgumentException>(() =>
            ex.Extract(new Dictionary<string, Tensor<float>> { [ex.Inputs[0].Name] = huge }, "huge"));
        Assert.Contains("too large", err.Message);
        Assert.Contains("GB", err.Message);
    }
}
