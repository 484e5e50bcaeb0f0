using AttentionSpectra.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>The tridiagonal eigen-solvers (<see cref="Tridiagonal"/>) at the cases their branches exist for: 2 x 2
/// blocks in both sweep directions and in every branch of the closed form, entries beyond 1e±140 (internal scaling),
/// QL against QR on reversed graded matrices, exact and relative splits at their thresholds, NaN (no convergence),
/// and inverse iteration on exactly repeated eigenvalues, several blocks and one-element blocks. Oracles: closed
/// forms, MathNet's dense symmetric eigensolver, and the residual and orthogonality of the vectors.</summary>
public class TridiagonalMutationTests
{
    private const double Eps = 1.1102230246251565e-16;

    internal static double[] MathNetValues(double[] d, double[] e)
    {
        int n = d.Length;
        var t = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++) { t[i, i] = d[i]; if (i < n - 1) { t[i, i + 1] = e[i]; t[i + 1, i] = e[i]; } }
        return t.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
    }

    private static double[] SterfSorted(double[] d, double[] e)
    {
        int n = d.Length;
        var dd = (double[])d.Clone();
        var ee = new double[Math.Max(n, 1)];
        Array.Copy(e, ee, Math.Max(n - 1, 0));
        Tridiagonal.Sterf(dd, ee, n);
        Array.Sort(dd);
        return dd;
    }

    private static void AssertValuesClose(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"value {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    /// <summary>max |T z_c - lambda_c z_c| over the columns of z, with plain loops.</summary>
    private static double Residual(double[] d, double[] e, Matrix z, double[] values)
    {
        int n = d.Length;
        double worst = 0;
        for (int c = 0; c < z.Cols; c++)
            for (int i = 0; i < n; i++)
            {
                double t = d[i] * z[i, c];
                if (i > 0) t += e[i - 1] * z[i - 1, c];
                if (i < n - 1) t += e[i] * z[i + 1, c];
                worst = Math.Max(worst, Math.Abs(t - values[c] * z[i, c]));
            }
        return worst;
    }

    /// <summary>[[a, b], [b, c]] as a 2 x 2 tridiagonal: eigenvalues (a + c)/2 ± hypot((a - c)/2, b). The cases
    /// cover |a - c| above, equal to and below |2b|, a + c negative, zero and positive, and |c| below |a| (the
    /// sweep runs from the other end).</summary>
    [Theory]
    [InlineData(5.0, 0.1, 1.0)]     // |a - c| > |2b|, a + c > 0
    [InlineData(1.0, 3.0, 1.0)]     // a = c
    [InlineData(3.0, 1.0, 1.0)]     // |a - c| = |2b| exactly
    [InlineData(1.0, 1.0, 3.0)]     // the same, mirrored
    [InlineData(-2.0, 0.5, -7.0)]   // a + c < 0, |c| > |a|
    [InlineData(-7.0, 0.5, -2.0)]   // a + c < 0, |c| < |a|
    [InlineData(4.0, 1.5, -4.0)]    // a + c = 0
    [InlineData(1e-3, 2.0, 5.0)]    // |a - c| < |2b|
    [InlineData(6.0, -2.5, 1e-9)]   // negative coupling, |c| much below |a|
    [InlineData(-1.0, 1.0, -1.0)]   // a + c < 0 with a zero eigenvalue: the larger root -2 must come first
    public void TwoByTwoBlocksMatchTheClosedForm(double a, double b, double c)
    {
        double mean = 0.5 * (a + c), rad = Math.Sqrt(0.25 * (a - c) * (a - c) + b * b);
        var got = SterfSorted([a, c], [b]);
        double tol = 4e-16 * (Math.Abs(mean) + rad);
        AssertValuesClose([mean - rad, mean + rad], got, tol);
        // the same 2 x 2 block at the end of a longer matrix that splits from it exactly
        got = SterfSorted([10, 20, a, c], [1, 0, b]);
        double r2 = Math.Sqrt(25 + 1);
        AssertValuesClose(new[] { mean - rad, mean + rad, 15 - r2, 15 + r2 }.OrderBy(x => x).ToArray(), got, 4e-15 * 20);
    }

    /// <summary>Entries far beyond 1e140 (or below 1e-140) are scaled before squaring the off-diagonal; without that,
    /// e^2 overflows (underflows) and the eigenvalues are lost. Laplacian tridiag(-1, 2, -1) times s has eigenvalues
    /// s (2 - 2 cos(k pi / (n + 1))). A second, unscaled block in the same call must come out unscaled.</summary>
    [Theory]
    [InlineData(1e200)]
    [InlineData(1e-200)]
    [InlineData(1e145)]
    [InlineData(1e-145)]
    [InlineData(-3e250)]
    public void ExtremeScalesAreHandledPerBlock(double s)
    {
        int n = 20, m = 7;
        var d = new double[n + m];
        var e = new double[n + m - 1];
        for (int i = 0; i < n; i++) { d[i] = 2 * s; if (i < n - 1) e[i] = -s; }
        for (int i = n; i < n + m; i++) { d[i] = 2; if (i < n + m - 1) e[i] = -1; } // e[n - 1] = 0 splits
        var got = SterfSorted(d, e);
        // (value, scale of its block); the two blocks' ranges do not interleave, so sorting keeps the pairing
        var expected = Enumerable.Range(1, n).Select(k => (V: s * (2 - 2 * Math.Cos(k * Math.PI / (n + 1))), S: Math.Abs(s)))
            .Concat(Enumerable.Range(1, m).Select(k => (V: 2 - 2 * Math.Cos(k * Math.PI / (m + 1)), S: 1.0)))
            .OrderBy(x => x.V).ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i].V) <= 1e-14 * 4 * expected[i].S,
                $"value {i}: {got[i]:R} vs {expected[i].V:R}");
    }

    /// <summary>Reversing a tridiagonal (J T J) keeps the spectrum; a graded matrix whose diagonal decreases along
    /// the block is iterated by QR, its reverse by QL. Both must match MathNet; the grading spans 12 decades so the
    /// small eigenvalues need the root-free iteration's relative accuracy only at the absolute tolerance asserted.</summary>
    [Theory]
    [InlineData(60, 1e-12)]
    [InlineData(33, 1e-6)]
    [InlineData(45, 0.5)]
    public void GradedMatrixGivesTheSameValuesInBothDirections(int n, double ratio)
    {
        var d = new double[n];
        var e = new double[n - 1];
        var rng = new Rng((ulong)n);
        for (int i = 0; i < n; i++) d[i] = Math.Pow(ratio, (double)i / (n - 1)) * (1 + 0.3 * rng.NextDouble());
        for (int i = 0; i < n - 1; i++) e[i] = 0.4 * Math.Sqrt(d[i] * d[i + 1]) * (rng.NextDouble() - 0.5);
        var oracle = MathNetValues(d, e);
        double tol = 1e-14 * oracle.Max(Math.Abs) * Math.Sqrt(n);
        AssertValuesClose(oracle, SterfSorted(d, e), tol);
        AssertValuesClose(oracle, SterfSorted(d.Reverse().ToArray(), e.Reverse().ToArray()), tol);
        // block eigenvalues of a sub-range equal the eigenvalues of the sub-matrix, and the inputs are not modified
        var dc = (double[])d.Clone(); var ec = (double[])e.Clone();
        var block = Tridiagonal.BlockEigenvalues(d, e, 5, n - 3);
        Assert.Equal(dc, d); Assert.Equal(ec, e);
        Array.Sort(block);
        AssertValuesClose(MathNetValues(d[5..(n - 3)], e[5..(n - 4)]), block, tol);
    }

    /// <summary>The 2 x 2 closed form (dlae2) gets the smaller eigenvalue from the determinant as
    /// (a_max / rt1) a_min - (b / rt1) b, dividing the entry of LARGER magnitude by rt1 first: with a = 10^15 and
    /// c = 10^-300 the other order would form c / rt1 = 10^-315, a subnormal with 9 significant digits. The small
    /// eigenvalue (a c - b^2) / rt1 must keep full relative accuracy in both sweep directions.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoByTwoSmallEigenvalueKeepsRelativeAccuracy(bool reversed)
    {
        double a = 1e15, c = 1e-300, b = 1e-150; // b is far above the split threshold sqrt(a c) eps = 3.5e-159
        var d = reversed ? new[] { c, a } : new[] { a, c };
        var got = SterfSorted(d, [b]);
        double large = a + b * b / a, small = (a * c - b * b) / large;
        Assert.Equal(large, got[1]);
        double rel = Math.Abs(got[0] - small) / small;
        Assert.True(rel <= 1e-14, $"small eigenvalue {got[0]:R}, expected {small:R}: relative error {rel:E2}");
    }

    /// <summary>A dsterf sweep that starts with p = 0 (the shift equals the diagonal entry where the chase
    /// starts) has a rotation with c = 0 and must take LAPACK's other branch, p = c_old e^2, instead of 0 / 0.
    /// d = (-2 - b, -2, ..., -2), e = b: the shift from the bottom 2 x 2 block is exactly -2 - b, the top entry,
    /// and |d_0| &gt; |d_n-1| makes it a QR sweep; the reversed matrix takes the same path as a QL sweep.</summary>
    [Theory]
    [InlineData(false, 6, 1.0)]
    [InlineData(true, 6, 1.0)]
    [InlineData(false, 25, 2.0)]
    [InlineData(true, 7, 2.0)]
    public void SweepWithAZeroRotationMatchesMathNet(bool reversed, int n, double b)
    {
        var d = Enumerable.Repeat(-2.0, n).ToArray();
        d[0] = -2 - b;
        var e = Enumerable.Repeat(b, n - 1).ToArray();
        if (reversed) Array.Reverse(d);
        AssertValuesClose(MathNetValues(d, e), SterfSorted(d, e), 1e-14 * 8);
    }

    /// <summary>Couplings that are exactly zero or below eps sqrt(|d_i d_i+1|) split the iteration into blocks
    /// (including blocks of one element and zero blocks); the values must still match MathNet.</summary>
    [Fact]
    public void SplitsInsideSterfMatchMathNet()
    {
        int n = 90;
        var rng = new Rng(5);
        var d = new double[n];
        var e = new double[n - 1];
        rng.FillGaussian(d);
        rng.FillGaussian(e);
        for (int i = 7; i < n - 1; i += 11) e[i] = 0;
        for (int i = 12; i < n - 1; i += 13) e[i] = 1e-3 * Eps * Math.Sqrt(Math.Abs(d[i] * d[i + 1]));
        e[30] = 0; e[31] = 0;         // d[31] alone
        d[50] = d[51] = d[52] = 0; e[50] = e[51] = 0; e[49] = 0; e[52] = 0; // a zero block
        AssertValuesClose(MathNetValues(d, e), SterfSorted(d, e), 1e-13 * Math.Sqrt(n) * 4);
        var one = new[] { 3.5 };
        Tridiagonal.Sterf(one, [0.0], 1);
        Assert.Equal(3.5, one[0]);
    }

    /// <summary>NaN never satisfies a convergence test: the QL and the QR sweeps stop at their budget of 30 n
    /// sweeps and throw instead of returning garbage.</summary>
    [Theory]
    [InlineData(new[] { 1.0, 2.0, double.NaN, 4.0, 5.0 })]   // |d_last| >= |d_first|: QL
    [InlineData(new[] { 5.0, 4.0, double.NaN, 2.0, 0.1 })]   // |d_last| < |d_first|: QR
    public void NaNDoesNotConverge(double[] d)
    {
        var e = new[] { 1.0, 1.0, 1.0, 1.0, 0.0 };
        var ex = Assert.Throws<NonConvergenceException>(() => Tridiagonal.Sterf(d, e, 5));
        Assert.Equal("Tridiagonal QL/QR eigenvalue iteration did not converge after 150 sweeps (n = 5).", ex.Message);
    }

    /// <summary>The split rule |e_i| &lt;= sqrt|d_i| sqrt|d_i+1| eps (or |e_i| &lt;= the smallest normal number) is
    /// inclusive: a coupling exactly at the threshold splits, one just above does not.</summary>
    [Fact]
    public void SplitBlocksThresholdsAreInclusive()
    {
        const double safeMin = 2.2250738585072014e-308;
        Assert.Equal([0, 1, 2], Tridiagonal.SplitBlocks([4.0, -9.0], [6 * Eps]));
        Assert.Equal([0, 2], Tridiagonal.SplitBlocks([4.0, -9.0], [6 * Eps * (1 + 4 * Eps)]));
        Assert.Equal([0, 1, 2], Tridiagonal.SplitBlocks([0.0, 0.0], [-safeMin]));
        Assert.Equal([0, 2], Tridiagonal.SplitBlocks([0.0, 0.0], [2 * safeMin]));
        Assert.Equal([0, 1, 3], Tridiagonal.SplitBlocks([1.0, 16.0, 1.0], [4 * Eps, 1e-3]));
        Assert.Equal([0, 1], Tridiagonal.SplitBlocks([7.0], []));
        Assert.Single(Tridiagonal.SplitBlocks([], [])); // no blocks: only the start 0
    }

    /// <summary>Inverse iteration on a matrix passed as ONE block although it splits exactly into two copies of the
    /// same 3 x 3 tridiagonal: every eigenvalue is exactly double, so the second vector of each pair must come from
    /// the perturbed shift and the Gram-Schmidt step. The vectors must be orthonormal eigenvectors.</summary>
    [Fact]
    public void ExactlyRepeatedEigenvaluesGiveAnOrthonormalBasis()
    {
        var d = new[] { 1.0, 2.0, 3.0, 1.0, 2.0, 3.0 };
        var e = new[] { 0.5, 0.5, 0.0, 0.5, 0.5 };
        var half = MathNetValues(d[..3], e[..2]);
        var values = half.Concat(half).OrderBy(x => x).ToArray();
        var targets = values.Select((v, c) => new Tridiagonal.Target(0, v, c)).ToList();
        var z = new Matrix(6, 6);
        Tridiagonal.InverseIteration(d, e, [0, 6], targets, z);
        Assert.InRange(Residual(d, e, z, values), 0, 1e-13);
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-13);

        // a zero tridiagonal passed as one block: T - 3 I = 0 for the shifted diagonal; any orthonormal basis
        var d3 = new[] { 3.0, 3.0, 3.0 };
        var e3 = new[] { 0.0, 0.0 };
        var z3 = new Matrix(3, 3);
        Tridiagonal.InverseIteration(d3, e3, [0, 3], [new(0, 3, 0), new(0, 3, 1), new(0, 3, 2)], z3);
        Assert.InRange(EigenTestUtil.Orthogonality(z3), 0, 1e-13);
    }

    /// <summary>Several blocks, including one-element blocks, with targets in some of them: every vector is a unit
    /// eigenvector supported on its own block (exact zeros elsewhere) with its largest-magnitude entry positive.</summary>
    [Fact]
    public void VectorsStayInTheirBlocks()
    {
        var d = new[] { 5.0, 1.0, 2.0, 3.0, -7.0, 4.0, 0.5, 0.25 };
        var e = new[] { 0.0, 1.0, -1.0, 0.0, 0.0, 2.0, 0.3 };
        var starts = Tridiagonal.SplitBlocks(d, e);
        Assert.Equal([0, 1, 4, 5, 8], starts);
        var b1 = MathNetValues(d[1..4], e[1..3]);
        var b3 = MathNetValues(d[5..8], e[5..7]);
        var targets = new List<Tridiagonal.Target>
        {
            new(0, 5.0, 4), new(1, b1[0], 0), new(1, b1[2], 1), new(2, -7.0, 5), new(3, b3[1], 2), new(3, b3[2], 3),
        };
        var values = new[] { b1[0], b1[2], b3[1], b3[2], 5.0, -7.0 };
        var z = new Matrix(8, 6);
        Tridiagonal.InverseIteration(d, e, starts, targets, z);
        Assert.InRange(Residual(d, e, z, values), 0, 1e-14);
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-14);
        int[] blockOfColumn = [1, 1, 3, 3, 0, 2];
        for (int c = 0; c < 6; c++)
        {
            int blk = blockOfColumn[c];
            int best = 0;
            for (int i = 0; i < 8; i++)
            {
                bool inside = i >= starts[blk] && i < starts[blk + 1];
                if (!inside) Assert.Equal(0.0, z[i, c]);
                if (Math.Abs(z[i, c]) > Math.Abs(z[best, c])) best = i;
            }
            Assert.True(z[best, c] > 0, $"column {c}: largest entry {z[best, c]} not positive");
        }
    }

    /// <summary>Glued Wilkinson matrices (W21+ blocks coupled by 1e-7) have eigenvalues that agree to ~1e-14 in
    /// clusters of up to six; inverse iteration over all of them must give orthonormal eigenvectors.</summary>
    [Fact]
    public void ClustersFromGluedWilkinsonAreOrthogonalised()
    {
        int n = 6 * 21;
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Abs(10 - i % 21);
        for (int i = 0; i < n - 1; i++) e[i] = i % 21 == 20 ? 1e-7 : 1.0;
        var starts = Tridiagonal.SplitBlocks(d, e);
        Assert.Equal([0, n], starts);
        var values = SterfSorted(d, e);
        var oracle = MathNetValues(d, e);
        AssertValuesClose(oracle, values, 1e-13);
        var z = new Matrix(n, n);
        Tridiagonal.InverseIteration(d, e, starts, values.Select((v, c) => new Tridiagonal.Target(0, v, c)).ToList(), z);
        Assert.InRange(Residual(d, e, z, values), 0, 1e-12);
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-12);
        // the Gram-Schmidt cost measure of the same clustering: cluster sizes s with sum s^2
        double cost = Tridiagonal.ClusterCost(d, e, 0, n, values);
        double expected = 0;
        int start = 0;
        double oneNorm = 0;
        for (int i = 0; i < n; i++)
            oneNorm = Math.Max(oneNorm, Math.Abs(d[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0));
        double ortol = 1e-3 * oneNorm;
        for (int i = 1; i <= n; i++)
            if (i == n || values[i] - values[i - 1] > ortol) { expected += (i - start) * (i - start); start = i; }
        Assert.Equal(expected, cost);
        Assert.True(cost > n, "the glued matrix has clusters");
    }

    /// <summary>Implicit QL with vectors on blocks that contain exact zeros and tiny couplings (deflation inside the
    /// sweep), on a graded block, and on the Wilkinson matrix: residual, orthogonality and MathNet's values.</summary>
    [Theory]
    [InlineData("interior-zeros", 70)]
    [InlineData("graded", 50)]
    [InlineData("wilkinson", 41)]
    public void QlVectorsOnDeflatingBlocks(string kind, int n)
    {
        var d = new double[n];
        var e = new double[n - 1];
        var rng = new Rng((ulong)n);
        switch (kind)
        {
            case "interior-zeros":
                rng.FillGaussian(d); rng.FillGaussian(e);
                for (int i = 5; i < n - 1; i += 9) e[i] = 0;
                for (int i = 9; i < n - 1; i += 9) e[i] = 1e-18;
                break;
            case "graded":
                for (int i = 0; i < n; i++) d[i] = Math.Pow(1e-8, (double)i / n);
                for (int i = 0; i < n - 1; i++) e[i] = 0.3 * Math.Pow(1e-8, (i + 0.5) / n);
                break;
            default:
                for (int i = 0; i < n; i++) d[i] = Math.Abs(n / 2 - i);
                Array.Fill(e, 1.0);
                break;
        }
        var vals = Tridiagonal.QlVectors(d, e, 0, n, out var vt);
        var z = new Matrix(n, n);
        for (int r = 0; r < n; r++) for (int i = 0; i < n; i++) z[i, r] = vt[r * n + i];
        double norm = MathNetValues(d, e).Max(Math.Abs);
        Assert.InRange(Residual(d, e, z, vals), 0, 1e-14 * norm * Math.Sqrt(n));
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-13);
        AssertValuesClose(MathNetValues(d, e), vals.OrderBy(x => x).ToArray(), 1e-14 * norm * Math.Sqrt(n));
    }
    /// <summary>Hypot against sqrt(a^2 + b^2) where that does not overflow, and where the squares would overflow or
    /// underflow (the larger magnitude is factored out); hypot(0, 0) = 0.</summary>
    [Fact]
    public void HypotIsTheEuclideanNormWithoutOverflow()
    {
        Assert.Equal(5.0, Tridiagonal.Hypot(3, -4), 15);
        Assert.Equal(5.0, Tridiagonal.Hypot(-4, 3), 15);
        Assert.Equal(0.0, Tridiagonal.Hypot(0, 0));
        Assert.Equal(7.0, Tridiagonal.Hypot(0, -7));
        Assert.Equal(Math.Sqrt(2) * 1e200, Tridiagonal.Hypot(1e200, -1e200), 1e186);
        Assert.Equal(1e200, Tridiagonal.Hypot(1e-200, 1e200));
        Assert.Equal(1e200, Tridiagonal.Hypot(1e200, 1e-200));
        Assert.Equal(5e-200, Tridiagonal.Hypot(3e-200, 4e-200), 1e-214);
    }

    /// <summary>Sterf reads only d[0..n) and e[0..n-1): arrays longer than n with NaN behind the block, and an e of
    /// exactly n - 1 entries, give MathNet's eigenvalues of the leading n x n tridiagonal in both sweep
    /// directions; the entries behind n are not touched.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SterfReadsOnlyTheLeadingBlock(bool reversed)
    {
        int n = 12;
        var rng = new Rng(41);
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = 1 + i + 0.5 * rng.NextDouble();
        for (int i = 0; i < n - 1; i++) e[i] = 0.3 + rng.NextDouble();
        if (reversed) { Array.Reverse(d); Array.Reverse(e); }
        var oracle = MathNetValues(d, e);
        var dd = (double[])d.Clone();
        var ee = (double[])e.Clone();
        Tridiagonal.Sterf(dd, ee, n);
        Array.Sort(dd);
        AssertValuesClose(oracle, dd, 1e-13);
        var dl = d.Concat([double.NaN, double.NaN]).ToArray();
        var el = e.Concat([double.NaN, double.NaN]).ToArray();
        Tridiagonal.Sterf(dl, el, n);
        Assert.True(double.IsNaN(dl[n]) && double.IsNaN(dl[n + 1]) && double.IsNaN(el[n - 1]) && double.IsNaN(el[n]));
        var got = dl[..n];
        Array.Sort(got);
        AssertValuesClose(oracle, got, 1e-13);
    }

    /// <summary>The block scaling looks at every entry of the block: a coupling that is the largest entry
    /// ([[0, s], [s, 0]] and tridiag(s, 0, s) with |s| = 1e±200: eigenvalues ±s and 0, ±sqrt(2) s, where s^2 over- or
    /// underflows unscaled), and a last diagonal entry 2^600 that alone exceeds 1e140 (its square overflows in the
    /// sweep) next to entries of 2^100 and 2^300. Oracle for the latter: MathNet on the matrix times 2^-600 (exact).</summary>
    [Theory]
    [InlineData(1e200)]
    [InlineData(-1e-200)]
    public void ScalingSeesTheCouplingsAndTheLastDiagonal(double s)
    {
        AssertValuesClose([-Math.Abs(s), Math.Abs(s)], SterfSorted([0.0, 0.0], [s]), 4e-16 * Math.Abs(s));
        double r = Math.Sqrt(2) * Math.Abs(s);
        AssertValuesClose([-r, 0, r], SterfSorted([0.0, 0.0, 0.0], [s, s]), 4e-16 * r);
        double p100 = Math.ScaleB(1, 100), p300 = Math.ScaleB(1, 300), p600 = Math.ScaleB(1, 600);
        foreach (bool rev in new[] { false, true })
        {
            double[] d = [p100, p100, p600], e = [p100, p300];
            if (rev) { Array.Reverse(d); Array.Reverse(e); }
            var oracle = MathNetValues(d.Select(x => Math.ScaleB(x, -600)).ToArray(),
                e.Select(x => Math.ScaleB(x, -600)).ToArray()).Select(x => Math.ScaleB(x, 600)).ToArray();
            var got = (double[])d.Clone();
            Tridiagonal.Sterf(got, (double[])e.Clone(), 3); // e of exactly n - 1 entries
            Array.Sort(got);
            Assert.All(got, x => Assert.True(double.IsFinite(x)));
            AssertValuesClose(oracle, got, 1e-14 * p600);
            Assert.Equal(p600, got[2], 1e-15 * p600);
        }
    }

    /// <summary>The rotations are applied in column strips of 64: sizes one below and at a multiple of 64 (a last
    /// strip of 63 columns, or none left over), checked by residual and orthogonality.</summary>
    [Theory]
    [InlineData(63)]
    [InlineData(128)]
    public void QlVectorsAtStripBoundaries(int n)
    {
        var rng = new Rng((ulong)(n + 3));
        var d = new double[n];
        var e = new double[n - 1];
        rng.FillGaussian(d);
        rng.FillGaussian(e);
        var vals = Tridiagonal.QlVectors(d, e, 0, n, out var vt);
        var z = new Matrix(n, n);
        for (int r = 0; r < n; r++) for (int i = 0; i < n; i++) z[i, r] = vt[r * n + i];
        Assert.InRange(Residual(d, e, z, vals), 0, 1e-13 * Math.Sqrt(n));
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-13);
        AssertValuesClose(MathNetValues(d, e), vals.OrderBy(x => x).ToArray(), 1e-13 * Math.Sqrt(n));
    }

    /// <summary>A NaN target (or NaN in the block) cannot give an eigenvector: inverse iteration reports it instead
    /// of writing NaN columns.</summary>
    [Fact]
    public void InverseIterationRejectsADegenerateVector()
    {
        var d = new[] { 1.0, 2.0, 3.0 };
        var e = new[] { 0.5, 0.5 };
        var ex = Assert.Throws<NonConvergenceException>(() =>
            Tridiagonal.InverseIteration(d, e, [0, 3], [new(0, double.NaN, 0)], new Matrix(3, 1)));
        Assert.Equal("Inverse iteration produced a degenerate eigenvector.", ex.Message);
        d[1] = double.NaN;
        Assert.Throws<NonConvergenceException>(() =>
            Tridiagonal.InverseIteration(d, e, [0, 3], [new(0, 2.0, 0)], new Matrix(3, 1)));
    }

    /// <summary>The cluster tolerance is 1e-3 |T|_1: with |T|_1 about 1000 (one large diagonal entry), two
    /// eigenvalues about 1e-3 apart form a cluster and are re-orthogonalised. Computed independently, inverse
    /// iteration would leave them non-orthogonal by about eps |T| / gap = 1e-10.</summary>
    [Fact]
    public void ClusterToleranceScalesWithTheNorm()
    {
        var d = new[] { 0.0, 0.0, 0.0, 1000.0 };
        var e = new[] { 5e-4, 1e-3, 1.0 };
        var values = MathNetValues(d, e);
        Assert.InRange(values[2] - values[1], 5e-4, 2e-3);
        var z = new Matrix(4, 4);
        Tridiagonal.InverseIteration(d, e, [0, 4], values.Select((v, c) => new Tridiagonal.Target(0, v, c)).ToList(), z);
        Assert.InRange(Residual(d, e, z, values), 0, 1e-12);
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-14);
        // the same rule in the cost measure: the three eigenvalues near 0 are one cluster, 1000 is alone: 3^2 + 1^2
        Assert.True(values[2] - values[0] < 1 && values[3] - values[2] > 1);
        Assert.Equal(10.0, Tridiagonal.ClusterCost(d, e, 0, 4, values));
    }

    /// <summary>Implicit QL with vectors is scale invariant: the Laplacian times 1e-8 (its deflation test is relative
    /// to the block's size, not absolute) has eigenpairs 1e-8 (2 - 2 cos(k pi / (n + 1))) with sine vectors.</summary>
    [Fact]
    public void QlVectorsOnATinyScaleBlock()
    {
        int n = 40;
        double s = 1e-8;
        var d = Enumerable.Repeat(2 * s, n).ToArray();
        var e = Enumerable.Repeat(-s, n - 1).ToArray();
        var vals = Tridiagonal.QlVectors(d, e, 0, n, out var vt);
        var z = new Matrix(n, n);
        for (int r = 0; r < n; r++) for (int i = 0; i < n; i++) z[i, r] = vt[r * n + i];
        var expected = Enumerable.Range(1, n).Select(k => s * (2 - 2 * Math.Cos(k * Math.PI / (n + 1)))).ToArray();
        AssertValuesClose(expected, vals.OrderBy(x => x).ToArray(), 1e-14 * s);
        Assert.InRange(Residual(d, e, z, vals), 0, 1e-14 * s);
        Assert.InRange(EigenTestUtil.Orthogonality(z), 0, 1e-13);
    }

    /// <summary>The cluster rule's norm is the block's 1-norm, max_i |e_i-1| + |d_i| + |e_i| (both couplings of a
    /// row): for tridiag(1, 0, 1) it is 2, so values 1.5e-3 apart are one cluster (1e-3 |T|_1 = 2e-3), which
    /// they would not be with a norm of 1.</summary>
    [Fact]
    public void ClusterCostUsesBothCouplingsOfARow()
    {
        double[] d = [0.0, 0.0, 0.0], e = [1.0, 1.0];
        Assert.Equal(2.0 * 2 + 1, Tridiagonal.ClusterCost(d, e, 0, 3, [-1.0, -1.0 + 1.5e-3, 1.0]));
        Assert.Equal(3.0, Tridiagonal.ClusterCost(d, e, 0, 3, [-1.0, -1.0 + 2.5e-3, 1.0]));
    }
}
