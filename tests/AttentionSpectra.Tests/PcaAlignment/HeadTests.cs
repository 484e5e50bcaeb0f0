using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.PcaAlignment;

public class HeadTests
{
    /// <summary>Independent naive forward: loops, explicit exp/normalisation.</summary>
    private static double[] NaiveForward(HeadKind kind, double[] x, int l, int d, double[] m, int k, double lam)
    {
        var s = new double[l];
        for (int t = 0; t < l; t++)
        {
            double acc = 0;
            for (int j = 0; j < k; j++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < d; i++) { a += m[j * d + i] * x[i]; b += m[j * d + i] * x[t * d + i]; }
                acc += a * b;
            }
            s[t] = lam * acc;
        }
        var w = new double[l];
        if (kind == HeadKind.Softmax)
        {
            double mx = s.Max(), z = 0;
            for (int t = 0; t < l; t++) { w[t] = Math.Exp(s[t] - mx); z += w[t]; }
            for (int t = 0; t < l; t++) w[t] /= z;
        }
        else s.CopyTo(w, 0);
        var o = new double[d];
        for (int t = 0; t < l; t++) for (int i = 0; i < d; i++) o[i] += w[t] * x[t * d + i];
        return o;
    }

    private static double NaiveLoss(HeadKind kind, double[] x, int l, int d, double[] m, int k, double lam)
    {
        var o = NaiveForward(kind, x, l, d, m, k, lam);
        double s = 0;
        for (int i = 0; i < d; i++) s += (x[i] - o[i]) * (x[i] - o[i]);
        return s;
    }

    [Theory]
    [InlineData(HeadKind.Softmax, 1)]
    [InlineData(HeadKind.Softmax, 3)]
    [InlineData(HeadKind.Linear, 1)]
    [InlineData(HeadKind.Linear, 2)]
    public void ForwardMatchesNaiveAndGradientMatchesFiniteDifferences(HeadKind kind, int k)
    {
        int l = 7, d = 5;
        double lam = kind == HeadKind.Softmax ? 0.3 : 0.05;
        var rng = new Rng(11);
        var src = new GaussianPromptSource(TestUtil.Sigma(d, 3));
        var x = new double[l * d];
        src.Sample(rng, l, x, new double[src.ScratchLength(l)]);
        var m = new double[k * d];
        rng.FillGaussian(m, 0, 0.7);
        var ws = new HeadWorkspace(l, d, k);
        var o = new double[d];
        double loss = AttentionHead.Forward(kind, x, l, d, m, k, lam, o, ws);
        Assert.True(TestUtil.MaxAbsDiff(o, NaiveForward(kind, x, l, d, m, k, lam)) < 1e-12 * (1 + TestUtil.MaxAbs(o)));
        Assert.Equal(NaiveLoss(kind, x, l, d, m, k, lam), loss, 10);

        var g = new double[k * d];
        double loss2 = AttentionHead.LossAndGradient(kind, x, l, d, m, k, lam, g, 1.0, ws);
        Assert.Equal(loss, loss2, 12);
        var fd = TestUtil.FiniteDifference(p => NaiveLoss(kind, x, l, d, p, k, lam), m, 1e-6);
        double scale = 1 + TestUtil.MaxAbs(fd);
        Assert.True(TestUtil.MaxAbsDiff(g, fd) < 1e-6 * scale, $"analytic {string.Join(",", g)} vs fd {string.Join(",", fd)}");
    }

    [Fact]
    public void HeadIsRotationEquivariant()
    {
        // loss(QX, Q mu) = loss(X, mu) and grad(QX, Q mu) = Q grad(X, mu): justifies --eigenbasis sampling.
        int l = 9, d = 4, k = 2;
        var rng = new Rng(5);
        var q = SymmetricEigen.Decompose(TestUtil.Sigma(d, 8)).Vectors; // orthogonal
        var x = new double[l * d]; rng.FillGaussian(x);
        var m = new double[k * d]; rng.FillGaussian(m, 0, 0.5);
        double[] Rot(double[] v, int rows)
        {
            var r = new double[v.Length];
            for (int t = 0; t < rows; t++) q.Multiply(v.AsSpan(t * d, d)).CopyTo(r, t * d);
            return r;
        }
        var ws = new HeadWorkspace(l, d, k);
        var g1 = new double[k * d]; var g2 = new double[k * d];
        double l1 = AttentionHead.LossAndGradient(HeadKind.Softmax, x, l, d, m, k, 0.4, g1, 1, ws);
        double l2 = AttentionHead.LossAndGradient(HeadKind.Softmax, Rot(x, l), l, d, Rot(m, k), k, 0.4, g2, 1, ws);
        Assert.Equal(l1, l2, 10);
        Assert.True(TestUtil.MaxAbsDiff(Rot(g1, k), g2) < 1e-10);
    }

    [Fact]
    public void BatchGradientIsMeanOfPromptGradientsAndIndependentOfThreading()
    {
        int l = 12, d = 4, k = 1, batch = 37;
        var src = new GaussianPromptSource(TestUtil.Sigma(d, 21));
        var bg = new BatchGradient(src, HeadKind.Softmax, l, k, 0.2, batch);
        var m = new double[] { 0.3, -0.2, 0.1, 0.4 };
        var step = new Rng(99);
        var gp = new double[d]; var gs = new double[d];
        double lp = bg.Compute(m, gp, step, parallel: true);
        double ls = bg.Compute(m, gs, step, parallel: false);
        Assert.Equal(lp, ls);
        Assert.Equal(gs, gp); // bitwise: fixed chunks, ordered reduction

        var mean = new double[d]; double lossMean = 0;
        var ws = new HeadWorkspace(l, d, k);
        var x = new double[l * d];
        for (int b = 0; b < batch; b++)
        {
            src.Sample(step.Split((ulong)b), l, x, new double[src.ScratchLength(l)]);
            lossMean += AttentionHead.LossAndGradient(HeadKind.Softmax, x, l, d, m, k, 0.2, mean, 1.0 / batch, ws) / batch;
        }
        Assert.Equal(lossMean, lp, 10);
        Assert.True(TestUtil.MaxAbsDiff(mean, gp) < 1e-12);
    }

    [Fact]
    public void GaussianSourceHasTheRequestedCovariance()
    {
        int d = 3, l = 20000;
        var sigma = TestUtil.Sigma(d, 4);
        var src = new GaussianPromptSource(sigma);
        var x = new double[l * d];
        src.Sample(new Rng(1), l, x, new double[src.ScratchLength(l)]);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                var prod = Enumerable.Range(0, l).Select(t => x[t * d + i] * x[t * d + j]).ToArray();
                var (mean, se) = TestUtil.MeanSe(prod);
                Assert.True(Math.Abs(mean - sigma[i, j]) < 4 * se, $"Sigma[{i},{j}] = {sigma[i, j]} vs {mean} +- {se}");
            }
    }

    [Fact]
    public void WishartSourceTokensHaveCovarianceNTimesV()
    {
        // x = Y g with Y'Y-scatter Sigma ~ Wishart_n(V): E[x x'] = E[Sigma] = n V.
        int d = 3, n = 4, l = 2, prompts = 60000;
        double xi = 0.7, theta = 1.5;
        var v = new double[] { 0.6, 0.0, 0.8 };
        var src = new SpikedWishartPromptSource(v, n, xi, theta);
        var vcov = Samplers.SpikedCovariance(v, xi, theta);
        var x = new double[l * d]; var scratch = new double[src.ScratchLength(l)];
        var prods = new double[d * d][];
        for (int i = 0; i < d * d; i++) prods[i] = new double[prompts];
        var rng = new Rng(6);
        for (int p = 0; p < prompts; p++)
        {
            src.Sample(rng, l, x, scratch);
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) prods[i * d + j][p] = x[i] * x[j];
        }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                var (m, se) = TestUtil.MeanSe(prods[i * d + j]);
                Assert.True(Math.Abs(m - n * vcov[i, j]) < 4 * se, $"[{i},{j}] {m} +- {se} vs {n * vcov[i, j]}");
            }
    }

    [Fact]
    public void InvalidInputsThrow()
    {
        var ws = new HeadWorkspace(3, 2, 1);
        var o = new double[2];
        Assert.Throws<ArgumentException>(() => AttentionHead.Forward(HeadKind.Softmax, new double[6], 3, 2, new double[2], 1, -1, o, ws));
        Assert.Throws<ArgumentException>(() => AttentionHead.Forward(HeadKind.Softmax, new double[5], 3, 2, new double[2], 1, 1, o, ws));
        Assert.Throws<ArgumentException>(() => new BatchGradient(new GaussianPromptSource(Matrix.Identity(2)), HeadKind.Linear, 0, 1, 1, 4));
        Assert.Throws<ArgumentException>(() => new SpikedWishartPromptSource([1.0, 0.0], 0, 1, 2));
        var big = new double[] { 1e3, 1e3 };
        var x = new double[] { 1e3, 1e3, 1, 1, 2, 2 };
        Assert.Throws<ArgumentException>(() => AttentionHead.Forward(HeadKind.Linear, x, 3, 2, big, 1, 1e300, o, ws));
    }
}
