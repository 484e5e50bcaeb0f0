using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

public class ClosedFormTests
{
    private static double[] Vec(params double[] v) => v;

    [Fact]
    public void RInfMatchesMonteCarloOfTheInfinitePromptHead()
    {
        // R_inf = E |x - lam Sigma mu mu' x|^2, x ~ N(0, Sigma): Monte Carlo within 3 standard errors.
        int d = 4; double lam = 0.05;
        var sigma = TestUtil.Sigma(d, 7);
        var mu = Vec(0.4, -0.3, 0.5, 0.2);
        var smu = sigma.Multiply(mu);
        var src = new GaussianPromptSource(sigma);
        var x = new double[d]; var rng = new Rng(3);
        var losses = new double[200000];
        for (int n = 0; n < losses.Length; n++)
        {
            src.Sample(rng, 1, x, new double[src.ScratchLength(1)]);
            double c = lam * TensorPrimitives.Dot(mu, x);
            double s = 0;
            for (int i = 0; i < d; i++) { double r = x[i] - c * smu[i]; s += r * r; }
            losses[n] = s;
        }
        var (m, se) = TestUtil.MeanSe(losses);
        double cf = ClosedForms.RInf(sigma, mu, lam);
        Assert.True(Math.Abs(m - cf) < 3 * se, $"MC {m} +- {se} vs closed form {cf}");
    }

    [Fact]
    public void SoftmaxHeadWithLongPromptApproachesTiltedMean()
    {
        // Gaussian tilting: for fixed x_1, sum_k softmax(s)_k x_k -> lam Sigma mu mu' x_1 as L -> inf.
        // Check each coordinate within 4 delta-method standard errors of the self-normalised estimator.
        int d = 3, l = 200000; double lam = 0.2;
        var sigma = TestUtil.Sigma(d, 12);
        var mu = Vec(0.3, 0.2, -0.25);
        var src = new GaussianPromptSource(sigma);
        var x = new double[l * d];
        src.Sample(new Rng(17), l, x, new double[src.ScratchLength(l)]);
        var ws = new HeadWorkspace(l, d, 1);
        var o = new double[d];
        AttentionHead.Forward(HeadKind.Softmax, x, l, d, mu, 1, lam, o, ws);
        double c = lam * TensorPrimitives.Dot(mu, x.AsSpan(0, d));
        var target = sigma.Multiply(mu).Select(v => c * v).ToArray();
        // weights
        var s = new double[l];
        for (int t = 0; t < l; t++) s[t] = c * TensorPrimitives.Dot(mu, x.AsSpan(t * d, d));
        var w = new double[l]; TensorPrimitives.SoftMax(s, w);
        for (int i = 0; i < d; i++)
        {
            double v = 0;
            for (int t = 0; t < l; t++) { double r = x[t * d + i] - o[i]; v += w[t] * w[t] * r * r; }
            double se = Math.Sqrt(v);
            Assert.True(Math.Abs(o[i] - target[i]) < 4 * se + 1e-12, $"coord {i}: {o[i]} vs {target[i]} (se {se})");
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    public void LinearFiniteLRiskMatchesMonteCarlo(int l)
    {
        int d = 3; double lam = 0.02;
        var sigma = TestUtil.Sigma(d, 5);
        var mu = Vec(0.5, -0.4, 0.3);
        var src = new GaussianPromptSource(sigma);
        var ws = new HeadWorkspace(l, d, 1);
        var x = new double[l * d]; var o = new double[d];
        var rng = new Rng(29);
        var losses = new double[200000];
        for (int n = 0; n < losses.Length; n++)
        {
            src.Sample(rng, l, x, new double[src.ScratchLength(l)]);
            losses[n] = AttentionHead.Forward(HeadKind.Linear, x, l, d, mu, 1, lam, o, ws);
        }
        var (m, se) = TestUtil.MeanSe(losses);
        double cf = ClosedForms.RLinear(sigma, mu, lam, l);
        Assert.True(Math.Abs(m - cf) < 3 * se, $"L={l}: MC {m} +- {se} vs R_lin,L {cf}");
    }

    [Fact]
    public void RInfGradientAndHessianMatchFiniteDifferences()
    {
        int d = 5; double lam = 0.03;
        var sigma = TestUtil.Sigma(d, 9);
        var mu = Vec(0.2, -0.1, 0.35, 0.05, -0.3);
        var g = ClosedForms.RInfGradient(sigma, mu, lam);
        var fd = TestUtil.FiniteDifference(m => ClosedForms.RInf(sigma, m, lam), mu, 1e-5);
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-6 * (1 + TestUtil.MaxAbs(g)));
        var h = ClosedForms.RInfHessian(sigma, mu, lam);
        for (int j = 0; j < d; j++)
        {
            var col = TestUtil.FiniteDifference(m => ClosedForms.RInfGradient(sigma, m, lam)[j], mu, 1e-5);
            for (int i = 0; i < d; i++) Assert.True(Math.Abs(col[i] - h[j, i]) < 1e-6 * (1 + Math.Abs(h[j, i])), $"H[{j},{i}]");
        }
    }

    [Fact]
    public void RankKRiskReducesToRankOneAndMatchesMonteCarloAndGradient()
    {
        int d = 4, k = 2; double lam = 0.04;
        var sigma = TestUtil.Sigma(d, 13);
        var mu = Vec(0.3, 0.1, -0.2, 0.4);
        Assert.Equal(ClosedForms.RInf(sigma, mu, lam), ClosedForms.RInfRankK(sigma, mu, 1, lam), 10);
        Assert.True(TestUtil.MaxAbsDiff(ClosedForms.RInfGradient(sigma, mu, lam), ClosedForms.RInfRankKGradient(sigma, mu, 1, lam)) < 1e-10);

        var m = Vec(0.3, 0.1, -0.2, 0.4, -0.1, 0.25, 0.15, 0.05);
        var fd = TestUtil.FiniteDifference(p => ClosedForms.RInfRankK(sigma, p, k, lam), m, 1e-5);
        var g = ClosedForms.RInfRankKGradient(sigma, m, k, lam);
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-6 * (1 + TestUtil.MaxAbs(g)));

        // MC of E|x - lam Sigma G x|^2, G = sum_j mu_j mu_j'.
        var src = new GaussianPromptSource(sigma);
        var rng = new Rng(41); var x = new double[d];
        var losses = new double[100000];
        for (int n = 0; n < losses.Length; n++)
        {
            src.Sample(rng, 1, x, new double[src.ScratchLength(1)]);
            var gx = new double[d];
            for (int j = 0; j < k; j++) TensorPrimitives.MultiplyAdd(m.AsSpan(j * d, d), TensorPrimitives.Dot(m.AsSpan(j * d, d), x), gx, gx);
            var sg = sigma.Multiply(gx);
            double s = 0; for (int i = 0; i < d; i++) { double r = x[i] - lam * sg[i]; s += r * r; }
            losses[n] = s;
        }
        var (mean, se) = TestUtil.MeanSe(losses);
        double cf = ClosedForms.RInfRankK(sigma, m, k, lam);
        Assert.True(Math.Abs(mean - cf) < 3 * se, $"MC {mean} +- {se} vs {cf}");
    }

    [Fact]
    public void IclRiskMatchesMonteCarloOverWishartCovariances()
    {
        // R_ICL_inf = E_Sigma[ R_inf(Sigma, mu) ], Sigma = sum_{r<=n} y_r y_r', y_r ~ N(0, xi^2 I + theta v v').
        int n = 6; double xi = 0.8, theta = 1.5, lam = 0.01;
        var v = Vec(0.5, 0.5, -0.5, 0.5);
        var mu = Vec(1.0, 0.5, -0.8, 0.3);
        var vcov = Samplers.SpikedCovariance(v, xi, theta);
        var rng = new Rng(77);
        var vals = new double[100000];
        for (int s = 0; s < vals.Length; s++)
        {
            var w = Samplers.Wishart(rng, vcov, n);
            vals[s] = ClosedForms.RInf(w, mu, lam);
        }
        var (m, se) = TestUtil.MeanSe(vals);
        double cf = ClosedForms.RIcl(mu, v, n, xi, theta, lam);
        Assert.True(Math.Abs(m - cf) < 3 * se, $"MC {m} +- {se} vs R_ICL {cf}");
    }

    [Fact]
    public void IclGradientCoefficientsMatchFiniteDifferencesAndMinimiser()
    {
        int d = 5, n = 10; double xi = 1, theta = 2, lam = 1e-3;
        var v = new Rng(2).UnitVector(d);
        var mu = Vec(0.7, -1.2, 0.4, 2.0, -0.5);
        var g = ClosedForms.RIclGradient(mu, v, n, xi, theta, lam);
        var fd = TestUtil.FiniteDifference(p => ClosedForms.RIcl(p, v, n, xi, theta, lam), mu, 1e-5);
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-6 * (1 + TestUtil.MaxAbs(g)), $"{string.Join(",", g)} vs {string.Join(",", fd)}");

        double al2 = ClosedForms.IclOptimalAlphaSquared(d, n, xi, theta, lam);
        var star = v.Select(x => x * Math.Sqrt(al2)).ToArray();
        Assert.True(TestUtil.MaxAbs(ClosedForms.RIclGradient(star, v, n, xi, theta, lam)) < 1e-9);
        double rStar = ClosedForms.RIcl(star, v, n, xi, theta, lam);
        var rng = new Rng(8);
        for (int t = 0; t < 50; t++)
        {
            var p = star.Select(x => x + 0.05 * rng.NextGaussian()).ToArray();
            Assert.True(ClosedForms.RIcl(p, v, n, xi, theta, lam) > rStar);
        }
        // Orthogonal critical point |mu|^2 = a3/a1, mu perp v: zero gradient and a descent direction along v (strict saddle).
        var (a1, _, a3, _, _, _) = ClosedForms.IclCoefficients(d, n, xi, theta, lam);
        var w = Vec(1, 0, 0, 0, 0);
        TensorPrimitives.MultiplyAdd(v, -TensorPrimitives.Dot(w, v), w, w);
        TensorPrimitives.Divide(w, TensorPrimitives.Norm(w), w);
        var orth = w.Select(x => x * Math.Sqrt(a3 / a1)).ToArray();
        Assert.True(TestUtil.MaxAbs(ClosedForms.RIclGradient(orth, v, n, xi, theta, lam)) < 1e-9);
        double r0 = ClosedForms.RIcl(orth, v, n, xi, theta, lam);
        var moved = orth.Zip(v, (a, b) => a + 1e-3 * b).ToArray();
        Assert.True(ClosedForms.RIcl(moved, v, n, xi, theta, lam) < r0);
        var radial = orth.Select(x => x * 1.01).ToArray();
        Assert.True(ClosedForms.RIcl(radial, v, n, xi, theta, lam) > r0);
    }
}
