using AttentionSpectra.Numerics;
using static AttentionSpectra.Tests.Numerics.EigenTestUtil;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Structured matrices that drive the divide-and-conquer path (large clusters) through deflation and
/// near-degenerate secular equations; each is checked by the invariants and against the MathNet eigenvalues.</summary>
public class EigenStressTests
{
    public static IEnumerable<object[]> Kinds() =>
        new[] { "identity-plus-tiny", "repeated-plus-noise", "all-ones", "sign-matrix", "low-rank-plus-identity", "two-clusters" }
            .Select(k => new object[] { k });

    private static Matrix Make(string kind, int n, Rng rng)
    {
        switch (kind)
        {
            case "identity-plus-tiny":
            {
                var a = RandomSymmetric(rng, n);
                var m = 1e-12 * a;
                for (int i = 0; i < n; i++) m[i, i] += 1;
                return m;
            }
            case "repeated-plus-noise":
            {
                var spec = new double[n];
                for (int i = 0; i < n; i++) spec[i] = (i % 4) + 1e-13 * rng.NextGaussian();
                return WithSpectrum(rng, spec);
            }
            case "all-ones":
            {
                var m = new Matrix(n, n);
                Array.Fill(m.Data, 1.0);
                return m;
            }
            case "sign-matrix":
            {
                var m = new Matrix(n, n);
                for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) { double s = rng.NextDouble() < 0.5 ? -1 : 1; m[i, j] = s; m[j, i] = s; }
                return m;
            }
            case "low-rank-plus-identity":
            {
                var g = Samplers.Gaussian(rng, n, 5);
                var m = Blas.Gram(g, trans: false);
                for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) m[j, i] = m[i, j];
                for (int i = 0; i < n; i++) m[i, i] += 3;
                return m;
            }
            default:
            {
                var spec = new double[n];
                for (int i = 0; i < n; i++) spec[i] = (i < n / 2 ? -1 : 1) * (1 + 1e-8 * rng.NextDouble());
                return WithSpectrum(rng, spec);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StructuredMatricesDecomposeAccurately(string kind)
    {
        int n = 181;
        var a = Make(kind, n, new Rng(40));
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var oracle = OracleValues(a);
        double fro = a.FrobeniusNorm();
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(ed.Values[i] - oracle[i]), 0, 1e-12 * fro);
        var top = SymmetricEigen.TopK(a, 7);
        Assert.InRange(Orthogonality(top.Vectors), 0, 1e-10);
        Assert.InRange(MaxResidual(a, top), 0, 1e-10 * fro);
    }
}
