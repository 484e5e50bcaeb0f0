using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

/// <summary>Correlation families and pooling weights (docs/theory.md, Study B) against their definitions: entries of
/// R at negative and boundary parameters, the admissible ranges at their ends, every parse form, each validation
/// rule, B B' = R for definite and singular R, the optimal direction against MathNet including the Σw ≈ 0 case,
/// α = w'Rw and κ = |w|² by direct sums, and the messages users see.</summary>
public class PoolingMutationTests
{
    private static string Msg(Action a) => Assert.Throws<ArgumentException>(a).Message;

    [Theory]
    [InlineData(-0.6)]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    public void ExponentialEntriesArePowersOfRho(double rho)
    {
        var r = Correlations.Exponential(4, rho);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double expected = 1;
                for (int p = 0; p < Math.Abs(i - j); p++) expected *= rho;
                Assert.Equal(expected, r[i, j], 15);
            }
        Assert.Contains("[-1, 1], got 1.01", Msg(() => Correlations.Exponential(3, 1.01)));
        Assert.Contains("got -1.01", Msg(() => Correlations.Exponential(3, -1.01)));
        Assert.Throws<ArgumentException>(() => Correlations.Exponential(3, double.NaN));
        Assert.Contains("T must be >= 1, got 0", Msg(() => Correlations.Exponential(0, 0.5)));
        Assert.Single(Correlations.Exponential(1, 0.5).Data);
    }

    /// <summary>R = (1 - r) I + r 11'; r ranges over [-1/(T-1), 1] (both ends admissible), [-1, 1] for T = 1.</summary>
    [Fact]
    public void UniformEntriesAndRange()
    {
        var m = Correlations.Uniform(4, -1.0 / 3);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) Assert.Equal(i == j ? 1 : -1.0 / 3, m[i, j], 15);
        Assert.Equal(1.0, Correlations.Uniform(3, 1)[0, 2]);
        Assert.Contains("[-0.3333, 1] for T = 4, got -0.34", Msg(() => Correlations.Uniform(4, -0.34)));
        Assert.Contains("got 1.5", Msg(() => Correlations.Uniform(4, 1.5)));
        Assert.Equal(1.0, Correlations.Uniform(1, -1)[0, 0]);
        Assert.Contains("[-1, 1] for T = 1", Msg(() => Correlations.Uniform(1, -1.1)));
        Assert.Throws<ArgumentException>(() => Correlations.Uniform(3, double.NaN));
        Assert.Throws<ArgumentException>(() => Correlations.Uniform(0, 0));
        Assert.Throws<ArgumentException>(() => Correlations.Independent(0));
        Assert.Equal(Matrix.Identity(3).Data, Correlations.Independent(3).Data);
    }

    [Fact]
    public void ParseAcceptsEveryFormAndExplainsErrors()
    {
        Assert.Equal(Matrix.Identity(3).Data, Correlations.Parse("iid", 3).Data);
        Assert.Equal(Matrix.Identity(3).Data, Correlations.Parse(" Identity ", 3).Data);
        Assert.Equal(Correlations.Exponential(3, 0.5).Data, Correlations.Parse("EXP:0.5", 3).Data);
        Assert.Equal(Correlations.Exponential(3, -0.5).Data, Correlations.Parse("exponential:-5e-1", 3).Data);
        Assert.Equal(Correlations.Uniform(3, 0.25).Data, Correlations.Parse("uniform:0.25", 3).Data);
        Assert.Contains("Empty correlation spec; use iid, exp:RHO or uniform:R.", Msg(() => Correlations.Parse(" ", 3)));
        Assert.Contains("'iid' takes no parameter ('iid:2')", Msg(() => Correlations.Parse("iid:2", 3)));
        Assert.Contains("Correlation spec 'exp' needs a numeric parameter", Msg(() => Correlations.Parse("exp", 3)));
        Assert.Contains("'uniform:x' needs a numeric parameter", Msg(() => Correlations.Parse("uniform:x", 3)));
        Assert.Contains("needs a numeric", Msg(() => Correlations.Parse("exp:0.1:2", 3)));
        Assert.Contains("Unknown correlation family 'wave'; use iid", Msg(() => Correlations.Parse("wave:1", 3)));
    }

    [Fact]
    public void ValidateRejectsEachBrokenPropertyAndAcceptsSingularPsd()
    {
        Correlations.Validate(Correlations.Uniform(3, 1)); // singular but PSD
        Correlations.Validate(Correlations.Uniform(4, -1.0 / 3));
        Assert.Throws<ArgumentNullException>(() => Correlations.Validate(null!));
        Assert.Contains("non-empty square matrix, got 2x3", Msg(() => Correlations.Validate(new Matrix(2, 3))));
        Assert.Contains("got 0x0", Msg(() => Correlations.Validate(new Matrix(0, 0))));
        var r = Correlations.Exponential(3, 0.5);
        var nan = r.Clone(); nan[0, 1] = double.NaN;
        Assert.Contains("R contains non-finite entries.", Msg(() => Correlations.Validate(nan)));
        var diag = r.Clone(); diag[2, 2] = 1.001;
        Assert.Contains("unit diagonal; R[2,2] = 1.001", Msg(() => Correlations.Validate(diag)));
        var diagLow = r.Clone(); diagLow[1, 1] = 0.999;
        Assert.Contains("R[1,1]", Msg(() => Correlations.Validate(diagLow)));
        var asym = r.Clone(); asym[2, 0] = 0.3;
        Assert.Contains("symmetric; R[2,0] != R[0,2]", Msg(() => Correlations.Validate(asym)));
        var asymUp = r.Clone(); asymUp[0, 2] = 0.3;
        Assert.Contains("symmetric", Msg(() => Correlations.Validate(asymUp)));
        var tiny = r.Clone(); tiny[0, 1] += 1e-12; Correlations.Validate(tiny); // within 1e-9
        var indefinite = Matrix.FromArray(new double[,] { { 1, 0.9, -0.9 }, { 0.9, 1, 0.9 }, { -0.9, 0.9, 1 } });
        Assert.Contains("positive semidefinite; smallest eigenvalue", Msg(() => Correlations.Validate(indefinite)));
    }

    /// <summary>B B' = R; Cholesky (lower triangular) when R is definite, the clipped eigen square root otherwise.</summary>
    [Theory]
    [InlineData("exp:0.7", true)]
    [InlineData("uniform:1", false)]
    [InlineData("exp:1", false)]
    [InlineData("uniform:-0.5", false)]
    public void FactorReproducesR(string spec, bool definite)
    {
        var r = Correlations.Parse(spec, 3);
        var b = Correlations.Factor(r);
        var bbt = Blas.Multiply(b, b, false, true);
        for (int i = 0; i < r.Data.Length; i++) Assert.Equal(r.Data[i], bbt.Data[i], 10);
        Assert.All(b.Data, x => Assert.False(double.IsNaN(x)));
        if (definite) Assert.Equal(0.0, b[0, 2]);
    }

    /// <summary>Top eigenvector of R (MathNet) scaled to Σw = 1; with a profile a, of diag(a) R diag(a).</summary>
    [Fact]
    public void OptimalIsTheNormalisedTopEigenvector()
    {
        var r = Correlations.Exponential(5, 0.6);
        var w = PoolingWeights.Optimal(r);
        var mn = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(r.ToArray());
        var evd = mn.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var u = evd.EigenVectors.Column(4).ToArray();
        double s = u.Sum();
        for (int i = 0; i < 5; i++) Assert.Equal(u[i] / s, w[i], 10);
        Assert.Equal(w, PoolingWeights.Optimal(r, null));

        double[] a = [2, 1, 0.5, 1, 3];
        var k = PoolingWeights.SignalCovariance(r, a);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(a[i] * r[i, j] * a[j], k[i, j], 15);
        var wp = PoolingWeights.Optimal(r, a);
        var ek = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(k.ToArray())
            .Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var uk = ek.EigenVectors.Column(4).ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(uk[i] / uk.Sum(), wp[i], 10);
        var e = Assert.Throws<ArgumentException>(() => PoolingWeights.SignalCovariance(r, [1.0, 2]));
        Assert.Equal("profile", e.ParamName);
        Assert.Contains("has 2 values but R is 5x5", e.Message);
        Assert.Throws<ArgumentException>(() => PoolingWeights.Optimal(new Matrix(2, 3)));
        Assert.Throws<ArgumentException>(() => PoolingWeights.Optimal(new Matrix(2, 3), a));
    }

    /// <summary>R = [[1, -1], [-1, 1]]: the top eigenvector (1, -1)/sqrt2 has Σw = 0, so it stays unit norm with
    /// the first non-zero entry positive.</summary>
    [Fact]
    public void OptimalWithZeroSumKeepsUnitNormAndPositiveFirstEntry()
    {
        var w = PoolingWeights.Optimal(Correlations.Uniform(2, -1));
        Assert.Equal(1 / Math.Sqrt(2), w[0], 12);
        Assert.Equal(-1 / Math.Sqrt(2), w[1], 12);
        // first entry 0: the sign is taken from the second
        var r3 = Matrix.FromArray(new double[,] { { 1, 0, 0 }, { 0, 1, -1 }, { 0, -1, 1 } });
        var w3 = PoolingWeights.Optimal(r3);
        Assert.Equal(0.0, w3[0], 12);
        Assert.Equal(1 / Math.Sqrt(2), w3[1], 12);
        Assert.Equal(-1 / Math.Sqrt(2), w3[2], 12);
    }

    /// <summary>w_s = (1/T)[e^τ/(e^τ + s - 1) + Σ_{t&gt;s} 1/(e^τ + t - 1)] by the double loop; negative τ; limits.</summary>
    [Theory]
    [InlineData(5, 0.7)]
    [InlineData(4, -1.3)]
    [InlineData(1, 2.0)]
    public void HarmonicMatchesTheDoubleSum(int t, double tau)
    {
        var w = PoolingWeights.Harmonic(t, tau);
        double e = Math.Exp(tau);
        for (int s = 1; s <= t; s++)
        {
            double v = e / (e + s - 1);
            for (int u = s + 1; u <= t; u++) v += 1 / (e + u - 1);
            Assert.Equal(v / t, w[s - 1], 13);
        }
        Assert.Equal(1.0, PoolingWeights.Harmonic(3, 700).Sum(), 12);
        Assert.Contains("tau must be finite and <= 700, got 700.5", Msg(() => PoolingWeights.Harmonic(3, 700.5)));
        Assert.Throws<ArgumentException>(() => PoolingWeights.Harmonic(3, double.NaN));
        Assert.Throws<ArgumentException>(() => PoolingWeights.Harmonic(3, double.NegativeInfinity));
        Assert.Contains("T must be >= 1, got 0", Msg(() => PoolingWeights.Harmonic(0, 1)));
        Assert.Contains("T must be >= 1, got -2", Msg(() => PoolingWeights.Mean(-2)));
        Assert.Equal([0.25, 0.25, 0.25, 0.25], PoolingWeights.Mean(4));
        Assert.Equal([1.0], PoolingWeights.Mean(1));
    }

    [Fact]
    public void NumberListsAndCustomWeights()
    {
        Assert.Equal([1.0, -2, 3e-1, 4], PoolingWeights.ParseNumbers(" 1,-2;\t3e-1\n4\r", "x"));
        Assert.Contains("Amplitudes: the list is empty.", Msg(() => PoolingWeights.ParseNumbers(" ,; ", "Amplitudes")));
        Assert.Contains("w: 'abc' (entry 2) is not a finite number.", Msg(() => PoolingWeights.ParseNumbers("1,abc", "w")));
        Assert.Contains("'Infinity' (entry 1)", Msg(() => PoolingWeights.ParseNumbers("Infinity", "w")));
        Assert.Contains("'NaN' (entry 1)", Msg(() => PoolingWeights.ParseNumbers("NaN", "w")));
        Assert.Contains("Custom weights are all zero.", Msg(() => PoolingWeights.ParseList("0 0 0")));
        Assert.Equal([0.0, 1], PoolingWeights.ParseList("0, 1"));
        Assert.Contains("Custom weights: the list is empty", Msg(() => PoolingWeights.ParseList(";")));
        var e = Assert.Throws<ArgumentException>(() => PoolingWeights.Custom(" "));
        Assert.Equal("spec", e.ParamName);
        Assert.Contains("give a list or a file", e.Message);
        Assert.Equal([0.5, 0.5], PoolingWeights.Custom("0.5,0.5"));
        var f = Assert.Throws<FileNotFoundException>(() => PoolingWeights.Custom(@"no\such"));
        Assert.Equal(@"no\such", f.FileName);
        Assert.Contains("Custom weight file not found: no/such", Assert.Throws<FileNotFoundException>(
            () => PoolingWeights.Custom("no/such")).Message);
        // a slash inside a comma list is not a path: it is parsed (and rejected as a number)
        Assert.Contains("is not a finite number", Msg(() => PoolingWeights.Custom("1/2,3")));
        var path = Path.Combine(Path.GetTempPath(), $"pool-mut-{Environment.ProcessId}.txt");
        try
        {
            File.WriteAllText(path, "0.2\n0.8\n");
            Assert.Equal([0.2, 0.8], PoolingWeights.Custom(path));
        }
        finally { File.Delete(path); }
    }

    /// <summary>α = Σ_ij w_i R_ij w_j and κ = Σ w_i² by direct sums for non-uniform weights and a non-symmetric-
    /// looking w; the shape check names both sizes.</summary>
    [Fact]
    public void AlphaAndKappaAreTheQuadraticForms()
    {
        var r = Correlations.Exponential(4, -0.4);
        double[] w = [0.7, -0.2, 0.4, 0.1];
        double alpha = 0;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) alpha += w[i] * r[i, j] * w[j];
        Assert.Equal(alpha, PoolingWeights.Alpha(w, r), 14);
        Assert.Equal(0.49 + 0.04 + 0.16 + 0.01, PoolingWeights.Kappa(w), 14);
        Assert.Contains("Weights have length 3 but R is 4x4", Msg(() => PoolingWeights.Alpha([1.0, 2, 3], r)));
        Assert.Throws<ArgumentException>(() => PoolingWeights.Alpha(w, new Matrix(4, 3)));
        Assert.Throws<ArgumentException>(() => PoolingWeights.Alpha(w, new Matrix(3, 4)));
    }

    /// <summary>The semidefiniteness tolerance is -1e-9 T: an exchangeable matrix with smallest eigenvalue
    /// 1 + 3r = -1e-9 (T = 4) passes, one at -1e-8 does not.</summary>
    [Fact]
    public void SemidefiniteToleranceScalesWithT()
    {
        Matrix Exchangeable(double minEig)
        {
            double r = (minEig - 1) / 3;
            var m = new Matrix(4, 4);
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) m[i, j] = i == j ? 1 : r;
            return m;
        }
        Correlations.Validate(Exchangeable(-1e-9));
        Assert.Contains("positive semidefinite", Msg(() => Correlations.Validate(Exchangeable(-1e-8))));
        // the profile overload validates R too (here only the diagonal is wrong)
        var bad = Matrix.FromArray(new double[,] { { 2, 0 }, { 0, 1 } });
        Assert.Contains("unit diagonal", Msg(() => PoolingWeights.Optimal(bad, [1.0, 1])));
    }

    /// <summary>Zero-sum top directions with either sign from the eigensolver: the first non-zero entry comes out
    /// positive (index 0 included).</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.6)]
    public void ZeroSumDirectionsStartPositive(double c)
    {
        // diag(a) R diag(a) with R = [[1, -1, 0], [-1, 1, 0], [0, 0, 1]] and a = (1 + c, 1 + c, 1): the block has
        // eigenvalue 2 (1 + c)^2 > 1 along (1, -1, 0)/sqrt2, which has zero sum
        var r = Matrix.FromArray(new double[,] { { 1, -1, 0 }, { -1, 1, 0 }, { 0, 0, 1 } });
        double[] profile = [1 + c, 1 + c, 1];
        var w = PoolingWeights.Optimal(r, profile);
        Assert.Equal(1 / Math.Sqrt(2), w[0], 12);
        Assert.Equal(-1 / Math.Sqrt(2), w[1], 12);
        var w2 = PoolingWeights.Optimal(Correlations.Uniform(2, -1), c == 0 ? null : [1 + c, 1 + c]);
        Assert.True(w2[0] > 0 && w2[1] < 0, $"{w2[0]}, {w2[1]}");
    }
}
