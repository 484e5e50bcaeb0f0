using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.VitTraining;

namespace AttentionSpectra.Tests.VitTraining;

/// <summary>The hand-derived backward pass against central finite differences, for every parameter block.</summary>
public class GradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryParameterBlock_MatchesFiniteDifferences(bool standardizeQk)
    {
        var cfg = new VitConfig(ImageSide: 4, Channels: 2, PatchSize: 2, Dim: 8, Heads: 2, Layers: 2, MlpDim: 12,
            Classes: 3, StandardizeQk: standardizeQk);
        var rng = new Rng(42);
        var model = new VitModel(cfg, rng.Split(0));
        // Larger-than-initial scales for cls/pos/biases so every path carries signal.
        ulong s = 100;
        foreach (var p in model.Parameters) if (!p.Decay) rng.Split(s++).FillGaussian(p.Value.Data, 0.3, 0.5);
        var images = new Matrix(3, 2 * 4 * 4);
        rng.Split(2).FillGaussian(images.Data);
        int[] labels = [0, 2, 1], index = [2, 0, 1];
        model.LossAndGradient(images, labels, index);
        var analytic = model.Parameters.Select(p => (double[])p.Grad.Data.Clone()).ToList();
        const double h = 1e-5;
        for (int b = 0; b < model.Parameters.Count; b++)
        {
            var w = model.Parameters[b].Value.Data;
            var fd = new double[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                double keep = w[i];
                w[i] = keep + h; double lp = model.LossAndGradient(images, labels, index);
                w[i] = keep - h; double lm = model.LossAndGradient(images, labels, index);
                w[i] = keep;
                fd[i] = (lp - lm) / (2 * h);
            }
            double diff = 0, norm = 0;
            for (int i = 0; i < w.Length; i++) { diff += Math.Pow(fd[i] - analytic[b][i], 2); norm += fd[i] * fd[i]; }
            Assert.True(norm > 1e-12, $"{model.Parameters[b].Name}: gradient is zero; the check would be vacuous");
            double rel = Math.Sqrt(diff / norm);
            Assert.True(rel < 1e-6, $"{model.Parameters[b].Name}: relative gradient error {rel:E2}");
        }
    }

    [Fact]
    public void GeluMatchesErfFormAndItsDerivative()
    {
        // (x = 0 is avoided: the erf fit has a 1.5e-8 step there.)
        foreach (double x in new[] { -3.0, -0.7, -0.05, 0.4, 2.5 })
        {
            double h = 1e-6;
            double fd = (VitModel.Gelu(x + h) - VitModel.Gelu(x - h)) / (2 * h);
            Assert.Equal(fd, VitModel.GeluDerivative(x), 1e-8);
        }
        // Against known erf values (|error| of the fit < 1.2e-7).
        Assert.Equal(0.8427007929497149, VitModel.Erf(1.0), 1e-6);
        Assert.Equal(-0.5204998778130465, VitModel.Erf(-0.5), 1e-6);
    }
}
