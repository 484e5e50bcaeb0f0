using AttentionSpectra.Numerics;
using static AttentionSpectra.Tests.Numerics.EigenTestUtil;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Lanczos at the edges of its contract: the dense/iterative switch on both sides of its thresholds
/// (n = 128 / 129, 4k = n), the Gram operator against the formed matrix with a scale and zero rows, the symmetry
/// check at its tolerance, block sizes at their bounds, and the exact messages of the argument checks.</summary>
public class LanczosMutationTests
{
    private static string Msg(Action a) => Assert.Throws<NumericsException>(a).Message;

    private static void AssertMatchesDense(Matrix a, EigenDecomposition got, int k, double tol)
    {
        var dense = SymmetricEigen.TopK(a, k);
        Assert.Equal(k, got.Values.Length);
        Assert.Equal((a.Rows, k), (got.Vectors.Rows, got.Vectors.Cols));
        for (int j = 0; j < k; j++)
        {
            Assert.InRange(Math.Abs(got.Values[j] - dense.Values[j]), 0, tol);
            var v = got.Vector(j);
            var av = a.Multiply(v);
            double res = 0;
            for (int i = 0; i < v.Length; i++) res = Math.Max(res, Math.Abs(av[i] - got.Values[j] * v[i]));
            Assert.InRange(res, 0, 1e3 * tol);
        }
        Assert.InRange(Orthogonality(got.Vectors), 0, 1e-9);
    }

    /// <summary>Both sides of the dense threshold and of the 4k ≥ n rule give the dense solver's top pairs.</summary>
    [Theory]
    [InlineData(128, 3)]
    [InlineData(129, 3)]
    [InlineData(160, 40)]
    [InlineData(160, 39)]
    public void ThresholdsOnBothSides(int n, int k)
    {
        var a = RandomSymmetric(new Rng((ulong)(n + k)), n);
        for (int i = 0; i < n; i++) a[i, i] += i < k ? 40 + 3 * i : 0; // a separated top cluster
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) a[j, i] = a[i, j];
        AssertMatchesDense(a, Lanczos.TopK(a, k), k, 1e-8);
        SymmetricOperator op = (x, y) => a.Multiply(x).CopyTo(y);
        AssertMatchesDense(a, Lanczos.TopK(op, n, k), k, 1e-8);
        AssertMatchesDense(a, Lanczos.TopK(op, n, k, Enumerable.Repeat(1e-10, k).ToArray(), null, blockSize: 1), k, 1e-8);
        AssertMatchesDense(a, Lanczos.TopK(op, n, k, Enumerable.Repeat(1e-10, k).ToArray(), null, blockSize: k), k, 1e-8);
    }

    /// <summary>x ↦ scale C'C x equals the formed matrix product, also with zero rows in C (skipped terms).</summary>
    [Fact]
    public void GramOperatorIsScaledCTransposeC()
    {
        var c = Samplers.Gaussian(new Rng(3), 7, 5);
        for (int j = 0; j < 5; j++) c[2, j] = 0;
        var x = new Rng(4).UnitVector(5);
        var y = new double[5];
        y.AsSpan().Fill(99); // the operator overwrites y
        Lanczos.GramOperator(c, 0.25)(x, y);
        for (int i = 0; i < 5; i++)
        {
            double s = 0;
            for (int r = 0; r < 7; r++) for (int j = 0; j < 5; j++) s += c[r, i] * c[r, j] * x[j];
            Assert.Equal(0.25 * s, y[i], 12);
        }
        var xo = new double[5]; xo[0] = 1;
        var co = Matrix.FromArray(new double[,] { { 0, 1, 0, 0, 0 } }); // row orthogonal to x: s = 0
        Lanczos.GramOperator(co, 1)(xo, y);
        Assert.All(y, v => Assert.Equal(0.0, v));
        Assert.Throws<ArgumentNullException>(() => Lanczos.GramOperator(null!, 1));
    }

    /// <summary>An asymmetry far below 1e-12 |A| sqrt(n) is accepted; one above is rejected naming both sizes.</summary>
    [Fact]
    public void SymmetryCheckTolerance()
    {
        int n = 200;
        var a = RandomSymmetric(new Rng(8), n);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) a[j, i] = a[i, j];
        double maxAbs = a.Data.Max(Math.Abs);
        var nearly = a.Clone(); nearly[5, 3] += 1e-14 * maxAbs;
        Assert.Equal(2, Lanczos.TopK(nearly, 2).Values.Length);
        // the tolerance grows with sqrt(n): 5e-12 |A| is below 1e-12 |A| sqrt(200) = 1.4e-11 |A|
        var within = a.Clone(); within[5, 3] += 5e-12 * maxAbs;
        Assert.Equal(2, Lanczos.TopK(within, 2).Values.Length);
        var off = a.Clone(); off[5, 3] += 1e-9 * maxAbs;
        var m = Msg(() => Lanczos.TopK(off, 2));
        Assert.Contains("Lanczos: the matrix is not symmetric (max |a_ij - a_ji| = ", m);
        Assert.Contains("SymmetricEigen reads only the lower triangle", m);
    }

    /// <summary>A tolerance no residual can reach (1e-300): the iteration must stop when the basis spans the whole
    /// space (n = 132 &lt;= k + 100 makes the basis cap n), where Rayleigh-Ritz is exact, and return the dense top
    /// pairs. Block sizes that divide n (1 and 22) fill the basis exactly to n without a restart.</summary>
    [Theory]
    [InlineData(22)]
    [InlineData(1)]
    public void UnreachableToleranceStopsAtTheFullBasis(int blockSize)
    {
        int n = 132, k = 32;
        var a = RandomSymmetric(new Rng(12), n);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) a[j, i] = a[i, j];
        SymmetricOperator op = (x, y) => a.Multiply(x).CopyTo(y);
        var tols = Enumerable.Repeat(1e-300, k).ToArray();
        AssertMatchesDense(a, Lanczos.TopK(op, n, k, tols, new Rng(1), blockSize), k, 1e-10);
    }

    /// <summary>The start block comes from the given generator (another seed gives other rounding, the same seed the
    /// same bits) and from the fixed default seed when none is given, in the matrix and the operator form.</summary>
    [Fact]
    public void StartBlockUsesTheGivenOrDefaultSeed()
    {
        int n = 200, k = 3;
        var a = RandomSymmetric(new Rng(21), n);
        for (int i = 0; i < k; i++) a[i, i] += 30 + 5 * i;
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) a[j, i] = a[i, j];
        SymmetricOperator op = (x, y) => a.Multiply(x).CopyTo(y);
        var byDefault = Lanczos.TopK(a, k);
        Assert.Equal(byDefault.Vectors.Data, Lanczos.TopK(a, k, new Rng(Lanczos.DefaultSeed)).Vectors.Data);
        Assert.NotEqual(byDefault.Vectors.Data, Lanczos.TopK(a, k, new Rng(Lanczos.DefaultSeed + 1)).Vectors.Data);
        var opDefault = Lanczos.TopK(op, n, k);
        Assert.Equal(opDefault.Vectors.Data, Lanczos.TopK(op, n, k, new Rng(Lanczos.DefaultSeed)).Vectors.Data);
        Assert.NotEqual(opDefault.Vectors.Data, Lanczos.TopK(op, n, k, new Rng(Lanczos.DefaultSeed + 1)).Vectors.Data);
        AssertMatchesDense(a, opDefault, k, 1e-8);
    }

    /// <summary>Below the dense threshold the operator is applied to the unit vectors and the resulting matrix is
    /// symmetrised, (A + A')/2, before the dense solver (which reads one triangle only): an operator with a small
    /// antisymmetric part must give the eigenpairs of its symmetric part.</summary>
    [Fact]
    public void DenseFallbackUsesTheSymmetricPart()
    {
        int n = 60, k = 4;
        var s = RandomSymmetric(new Rng(22), n);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) s[j, i] = s[i, j];
        var skew = new Matrix(n, n);
        var rng = new Rng(23);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) { double x = 1e-3 * rng.NextGaussian(); skew[i, j] = x; skew[j, i] = -x; }
        var a = s.Clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i, j] += skew[i, j];
        SymmetricOperator op = (x, y) => a.Multiply(x).CopyTo(y);
        AssertMatchesDense(s, Lanczos.TopK(op, n, k), k, 1e-12);
    }

    [Fact]
    public void ArgumentMessages()
    {
        SymmetricOperator id = (x, y) => x.CopyTo(y);
        Assert.Contains("Lanczos: k = 301 must lie in [0, 300] for an operator of dimension 300.",
            Msg(() => Lanczos.TopK(id, 300, 301)));
        Assert.Contains("k = -1 must lie in [0, 300]", Msg(() => Lanczos.TopK(id, 300, -1)));
        Assert.Contains("Lanczos: tolerance = 1 must be a finite number in (0, 1).", Msg(() => Lanczos.TopK(id, 300, 2, null, 1.0)));
        Assert.Contains("tolerance = 0 must", Msg(() => Lanczos.TopK(id, 300, 2, null, 0.0)));
        Assert.Contains("tolerance = Infinity must", Msg(() => Lanczos.TopK(id, 300, 2, null, double.PositiveInfinity)));
        Assert.Contains("Operator dimension n = -3 must be non-negative.", Msg(() => Lanczos.TopK(id, -3, 0, [], null)));
        Assert.Contains("Lanczos: 1 tolerances given for k = 2 pairs.", Msg(() => Lanczos.TopK(id, 300, 2, [1e-8], null)));
        Assert.Contains("Lanczos: block size 3 must lie in [1, k = 2] (or 0 for k).",
            Msg(() => Lanczos.TopK(id, 300, 2, [1e-8, 1e-8], null, blockSize: 3)));
        Assert.Contains("block size -1", Msg(() => Lanczos.TopK(id, 300, 2, [1e-8, 1e-8], null, blockSize: -1)));
        Assert.Contains("k = 5 must lie in [0, 4]", Msg(() => Lanczos.TopK(id, 4, 5, [1e-8, 1e-8, 1e-8, 1e-8, 1e-8], null)));
        // k = 0 with no tolerances: valid (and an empty result); n = 0 too
        var empty = Lanczos.TopK(id, 300, 0, [], null);
        Assert.Empty(empty.Values);
        Assert.Equal((300, 0), (empty.Vectors.Rows, empty.Vectors.Cols));
        Assert.Empty(Lanczos.TopK(id, 0, 0, [], null).Values);
        Assert.Empty(Lanczos.TopK(id, 300, 0).Values);
        // the identity: every eigenvalue 1, in both paths
        Assert.All(Lanczos.TopK(id, 300, 3).Values, v => Assert.Equal(1.0, v, 10));
        Assert.All(Lanczos.TopK(id, 100, 3).Values, v => Assert.Equal(1.0, v, 12));
        Assert.Throws<ArgumentNullException>(() => Lanczos.TopK(null!, 10, 1, [1e-8], null));
        Assert.Throws<ArgumentNullException>(() => Lanczos.TopK(id, 10, 1, null!, null));
        SymmetricOperator nanDense = (x, y) => y.Fill(double.NaN);
        Assert.Contains("the operator returned NaN or infinite values", Msg(() => Lanczos.TopK(nanDense, 50, 2)));
    }

    /// <summary>Single-vector Lanczos (block size 1) on an operator with three distinct eigenvalues: the Krylov space
    /// of any start vector is invariant after three vectors, so A q_3 lies in the basis' span, cannot extend it, and
    /// Rayleigh-Ritz on the three vectors is exact. The iteration must stop there (three operator applications) with
    /// the top eigenvalue 3 and a unit vector inside its eigenspace (coordinates 0..9).</summary>
    [Fact]
    public void InvariantKrylovSpaceEndsTheIteration()
    {
        int n = 200, calls = 0;
        SymmetricOperator op = (x, y) =>
        {
            calls++;
            for (int i = 0; i < n; i++) y[i] = (i < 10 ? 3.0 : i < 50 ? 2.0 : 1.0) * x[i];
        };
        var got = Lanczos.TopK(op, n, 1, [1e-10], new Rng(5), blockSize: 1);
        Assert.Equal(3, calls);
        Assert.Equal(3.0, got.Values[0], 1e-12);
        var v = got.Vector(0);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * x)), 1e-12);
        for (int i = 10; i < n; i++) Assert.InRange(Math.Abs(v[i]), 0, 1e-10);
    }

    /// <summary>The dense fallback symmetrises only the off-diagonal pairs: a diagonal entry near the largest double
    /// (1.5e308, whose double overflows) is the top eigenvalue as given.</summary>
    [Fact]
    public void DenseFallbackKeepsAHugeDiagonal()
    {
        int n = 10;
        SymmetricOperator op = (x, y) =>
        {
            for (int i = 0; i < n; i++) y[i] = (i == 3 ? 1.5e308 : i) * x[i];
        };
        var got = Lanczos.TopK(op, n, 1);
        Assert.Equal(1.5e308, got.Values[0]);
        Assert.Equal(1.0, Math.Abs(got.Vector(0)[3]));
    }
}
