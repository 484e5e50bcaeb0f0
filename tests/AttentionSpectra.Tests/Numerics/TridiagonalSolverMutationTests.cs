using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Two properties of the tridiagonal code that its eigenvalue/eigenvector tests cannot see, because inverse
/// and QL/QR iterations converge to the right answer even when a step is wrong:
/// (1) the dlagtf/dlagts pair behind inverse iteration (<see cref="Tridiagonal.Factor"/> +
/// <see cref="Tridiagonal.Solve"/>) is a linear solver: away from eigenvalues, x = (T - lambda I)^-1 y must satisfy
/// the system to rounding accuracy, for every pivoting pattern and block size;
/// (2) dsterf's shift makes the iteration converge cubically: the number of sweeps per eigenvalue stays near two
/// (a wrong shift still converges, but linearly, and needs many times more sweeps).</summary>
public class TridiagonalSolverMutationTests
{
    private static (double[] D, double[] E) Random(int n, ulong seed, double diagScale = 1)
    {
        var rng = new Rng(seed);
        var d = new double[n];
        var e = new double[n];
        for (int i = 0; i < n; i++) d[i] = diagScale * (2 * rng.NextDouble() - 1);
        for (int i = 0; i < n - 1; i++) e[i] = 0.1 + rng.NextDouble(); // unreduced: every coupling nonzero
        return (d, e);
    }

    /// <summary>max_i |((T - lambda I) x - y)_i| / (|T - lambda I|_1 |x|_inf + |y|_inf), T = tridiag(e, d, e).</summary>
    private static double RelativeResidual(double[] d, double[] e, double lambda, double[] x, double[] y)
    {
        int n = d.Length;
        double norm = 0, xmax = 0, ymax = 0, rmax = 0;
        for (int i = 0; i < n; i++)
        {
            double row = Math.Abs(d[i] - lambda) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0);
            norm = Math.Max(norm, row);
            xmax = Math.Max(xmax, Math.Abs(x[i]));
            ymax = Math.Max(ymax, Math.Abs(y[i]));
            double r = (d[i] - lambda) * x[i] - y[i];
            if (i > 0) r += e[i - 1] * x[i - 1];
            if (i < n - 1) r += e[i] * x[i + 1];
            rmax = Math.Max(rmax, Math.Abs(r));
        }
        return rmax / (norm * xmax + ymax);
    }

    private static double[] FactorSolve(double[] d, double[] e, double lambda, double[] y)
    {
        int n = d.Length;
        var a = new double[n]; var b = new double[n]; var c = new double[n]; var dd = new double[n];
        var piv = new bool[n];
        double tol = Tridiagonal.Factor(d, e, 0, n, lambda, a, b, c, dd, piv);
        var x = (double[])y.Clone();
        Tridiagonal.Solve(n, a, b, c, dd, piv, tol, x);
        return x;
    }

    [Theory]
    [InlineData(2, 1.0)]      // diagonal dominates the couplings: no row interchange
    [InlineData(2, 0.01)]     // couplings dominate: interchanges
    [InlineData(3, 1.0)]
    [InlineData(3, 0.01)]
    [InlineData(4, 0.5)]
    [InlineData(17, 1.0)]
    [InlineData(17, 0.01)]
    [InlineData(64, 3.0)]     // mixed pivoting along the factorisation
    public void FactorAndSolveSolveTheShiftedSystem(int n, double diagScale)
    {
        // lambda values between and outside the eigenvalues (never an eigenvalue to rounding), several right sides
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var (d, e) = Random(n, seed, diagScale);
            var rng = new Rng(100 + seed);
            foreach (double lambda in new[] { -2.5, -0.3 * diagScale, 0.0, 0.7 * diagScale, 3.1 })
            {
                var y = new double[n];
                for (int i = 0; i < n; i++) y[i] = 2 * rng.NextDouble() - 1;
                var x = FactorSolve(d, e, lambda, y);
                double res = RelativeResidual(d, e, lambda, x, y);
                Assert.True(res <= 1e-13, $"n {n} seed {seed} lambda {lambda}: relative residual {res:E2}");
            }
        }
    }

    [Fact]
    public void FactorAndSolveHandleAZeroLeadingPivot()
    {
        // lambda = d[0] makes the first pivot exactly zero: the factorisation must interchange rows there, and the
        // same at an interior zero (lambda = the Schur complement a[k] - c b at step k)
        var d = new[] { 0.5, -1.0, 2.0, 0.25, -0.75 };
        var e = new[] { 1.0, 0.5, -0.8, 1.2, 0.0 };
        var y = new[] { 1.0, -2.0, 0.5, 3.0, -1.0 };
        var x = FactorSolve(d, e, 0.5, y);
        Assert.True(RelativeResidual(d, e, 0.5, x, y) <= 1e-14);
        // a matrix with zero diagonal (lambda = 0): every step has a zero candidate pivot before the interchange
        var z = new double[6];
        var ez = new[] { 1.0, 2.0, 0.5, 1.5, 3.0, 0.0 };
        var y2 = new[] { 1.0, 1.0, -1.0, 2.0, 0.5, -0.5 };
        var x2 = FactorSolve(z, ez, 0.0, y2);
        Assert.True(RelativeResidual(z, ez, 0.0, x2, y2) <= 1e-14);
    }

    [Fact]
    public void SolveAtAnExactEigenvalueReturnsTheEigenvector()
    {
        // T = tridiag(1, 0, 1) of size 2 has eigenvalues -1 and 1; at lambda = 1 the factorisation ends with an exact
        // zero pivot, which Solve perturbs by +-tol (doubling) instead of dividing by zero: the result must be finite
        // and point along the eigenvector (1, 1)/sqrt 2 whatever the right side
        var d = new[] { 0.0, 0.0 };
        var e = new[] { 1.0, 0.0 };
        foreach (var y in new[] { new[] { 1.0, 0.0 }, new[] { 0.3, -0.9 } })
        {
            var x = FactorSolve(d, e, 1.0, y);
            Assert.All(x, v => Assert.True(double.IsFinite(v)));
            double nrm = Math.Sqrt(x[0] * x[0] + x[1] * x[1]);
            Assert.True(nrm > 1e10, $"norm {nrm:E2}: a near-singular solve must amplify the eigenvector");
            Assert.True(Math.Abs(Math.Abs(x[0] / nrm) - Math.Sqrt(0.5)) <= 1e-8 && Math.Abs(x[0] - x[1]) <= 1e-8 * nrm);
        }
        // the same at the other end of the spectrum (negative pivot side)
        var xm = FactorSolve(d, e, -1.0, [1.0, 0.2]);
        double nm = Math.Sqrt(xm[0] * xm[0] + xm[1] * xm[1]);
        Assert.True(nm > 1e10 && Math.Abs(xm[0] + xm[1]) <= 1e-8 * nm);
    }

    /// <summary>Back substitution with the upper factor U alone (no interchanges, unit L): U has diagonal
    /// <paramref name="a"/>, first superdiagonal <paramref name="b"/>, second superdiagonal <paramref name="dd"/>.</summary>
    private static double[] SolveUpper(double[] a, double[] b, double[] dd, double tol, double[] y)
    {
        int n = a.Length;
        var x = (double[])y.Clone();
        Tridiagonal.Solve(n, (double[])a.Clone(), b, new double[n], dd, new bool[n], tol, x);
        return x;
    }

    private const double SafeMin = 2.2250738585072014e-308; // 2^-1022
    private const double Big = 1.0 / SafeMin;              // 2^1022, exact

    /// <summary>dlagts (job -1) perturbs a pivot u_kk of U only when dividing by it would fail: an exact zero, a
    /// pivot below the smallest normal number, or |u_kk| &lt; 1 with |temp| &gt; |u_kk| / SafeMin (the quotient would
    /// overflow). The perturbation is tol with the pivot's sign (+tol for zero), doubled until the division is safe.
    /// One-row systems make the quotient temp / pivot directly visible; the expected pivots follow from that rule
    /// by hand. Every threshold is hit exactly with powers of two.</summary>
    [Fact]
    public void TinyPivotsArePerturbedOnlyWhenDivisionWouldFail()
    {
        double Solve1(double pivot, double tol, double y) => SolveUpper([pivot], [0.0], [0.0], tol, [y])[0];
        // a safe pivot is used as it is, however small the tolerance makes it look
        Assert.Equal(2.0, Solve1(0.5, 0.25, 1.0));
        Assert.Equal(-4.0, Solve1(-0.25, 0.25, 1.0));
        // exact zero: +tol (also for -0.0, which compares >= 0)
        Assert.Equal(1.0 / 0.375, Solve1(0.0, 0.375, 1.0));
        Assert.Equal(1.0 / 0.375, Solve1(-0.0, 0.375, 1.0));
        // below the smallest normal: the pivot moves away from zero by tol, keeping its sign
        double sub = 1e-310;
        Assert.Equal(3.0 / (sub + 0.5), Solve1(sub, 0.5, 3.0));
        Assert.Equal(3.0 / (-sub - 0.5), Solve1(-sub, 0.5, 3.0));
        // exactly the smallest normal is not below it: with |temp| = 0.5 <= SafeMin * Big = 1 it is used as it is
        Assert.Equal(0.5 / SafeMin, Solve1(SafeMin, 0.5, 0.5));
        // overflow guard: |pivot| < 1 and |temp| > |pivot| Big. Exactly at |temp| = |pivot| Big (2^-10 2^1022) the
        // quotient 2^1022 is finite and the pivot stays; one step above it the pivot is perturbed
        double p = Math.ScaleB(1, -10), edge = Math.ScaleB(1, 1012);
        Assert.Equal(Math.ScaleB(1, 1022), Solve1(p, 0.5, edge));
        Assert.Equal(2 * edge / (p + 0.5), Solve1(p, 0.5, 2 * edge));
        Assert.Equal(2 * edge / (-p - 0.5), Solve1(-p, 0.5, 2 * edge));
        // the guard needs |pivot| < 1: a pivot of 1 divides 1e308 without overflow and stays
        Assert.Equal(1e308, Solve1(1.0, 0.5, 1e308));
        // a large right side with an ordinary pivot below 1 stays too (|temp| <= |pivot| Big)
        Assert.Equal(1.0 / 0.75, Solve1(0.75, 0.5, 1.0));
        // doubling: pivot 0 and tol = 2^-1000 with temp = 1: after k steps the pivot is tol (2^k - 1), and the loop
        // stops at the first k with 1 <= tol (2^k - 1) Big, i.e. 2^k - 1 >= 2^-22: k = 1 already. With temp = 2^30
        // it needs 2^k - 1 >= 2^8: k = 9, pivot 511 tol
        double tol = Math.ScaleB(1, -1000);
        Assert.Equal(1.0 / tol, Solve1(0.0, tol, 1.0));
        Assert.Equal(Math.ScaleB(1, 30) / (511 * tol), Solve1(0.0, tol, Math.ScaleB(1, 30)));
        // the second row's quotient uses the perturbed-or-not pivot of its own row: upper bidiagonal [[1, 2], [0, 0]]
        var x = SolveUpper([1.0, 0.0], [2.0, 0.0], [0.0, 0.0], 0.25, [1.0, 1.0]);
        Assert.Equal(4.0, x[1]);
        Assert.Equal(1.0 - 2.0 * 4.0, x[0]);
    }

    /// <summary>The perturbation tolerance that <see cref="Tridiagonal.Factor"/> returns is eps = 2^-53 times the
    /// largest entry of the computed factor U (its diagonal a, superdiagonals b and dd), or eps for U = 0; the
    /// oracle reads the factor's arrays after the call. Matrices with row interchanges put entries into dd; the
    /// largest entry is placed in each of the three arrays and in the first, second and later rows.</summary>
    [Theory]
    [InlineData(2, 1UL, 0.01)]
    [InlineData(3, 2UL, 1.0)]
    [InlineData(5, 3UL, 0.01)]
    [InlineData(9, 4UL, 100.0)]
    [InlineData(9, 5UL, 0.01)]
    public void FactorToleranceIsEpsTimesTheLargestEntryOfU(int n, ulong seed, double diagScale)
    {
        const double eps = 1.1102230246251565e-16;
        for (int variant = 0; variant < 2 * n; variant++)
        {
            var (d, e) = Random(n, seed + (ulong)variant, diagScale);
            if (variant < n) d[variant] = 1e3 * (variant % 2 == 0 ? 1 : -1); // a dominant diagonal entry in row variant
            else if (variant - n < n - 1) e[variant - n] = -1e3;         // or a dominant coupling
            var a = new double[n]; var b = new double[n]; var c = new double[n]; var dd = new double[n];
            var piv = new bool[n];
            double tol = Tridiagonal.Factor(d, e, 0, n, 0.1, a, b, c, dd, piv);
            double umax = a.Concat(b[..(n - 1)]).Concat(dd[..Math.Max(n - 2, 0)]).Max(Math.Abs);
            Assert.Equal(eps * umax, tol);
        }
        // U = 0 (T = lambda I): eps itself
        var z = new double[n];
        var bz = new double[n]; var cz = new double[n]; var ddz = new double[n];
        Assert.Equal(eps, Tridiagonal.Factor(z, new double[n], 0, n, 0.0, new double[n], bz, cz, ddz, new bool[n]));
    }

    /// <summary>dlagtf's pivot choice compares the candidate pivots relative to the scales of their rows
    /// (|a_k| / scale1 against |c_k| / scale2). Scaling the whole matrix by 10^6 must not change that choice: a
    /// tiny diagonal entry next to a unit coupling must be interchanged away at every scale, or the elimination
    /// multiplies by 1/a_k and the solution loses all accuracy.</summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(1e6)]
    [InlineData(1e-6)]
    public void PivotChoiceIsScaleInvariant(double s)
    {
        var d = new[] { 1e-9 * s, 1.0 * s, 2.0 * s, -0.5 * s };
        var e = new[] { 1.0 * s, 0.3 * s, 0.7 * s, 0.0 };
        var a = new double[4]; var b = new double[4]; var c = new double[4]; var dd = new double[4];
        var piv = new bool[4];
        double tol = Tridiagonal.Factor(d, e, 0, 4, 0.0, a, b, c, dd, piv);
        Assert.True(piv[0], "the first row must be interchanged");
        var y = new[] { 1.0, -1.0, 0.5, 2.0 };
        var x = (double[])y.Clone();
        Tridiagonal.Solve(4, a, b, c, dd, piv, tol, x);
        double res = RelativeResidual(d, e, 0.0, x, y);
        Assert.True(res <= 1e-15, $"scale {s}: relative residual {res:E2}");
    }

    /// <summary>dlagtf interchanges rows only when the coupling is a strictly better pivot relative to its row
    /// (|c_k| / scale2 &gt; |a_k| / scale1); a tie keeps the diagonal pivot. T = tridiag(1, (1, 0, ...), 1) at
    /// lambda = 0: scale1 = |1| + |1| = 2, scale2 = |1| + |0| + |1| = 2, both candidate pivots 1/2.</summary>
    [Fact]
    public void EqualRelativePivotsKeepTheDiagonal()
    {
        var d = new[] { 1.0, 0.0, 3.0 };
        var e = new[] { 1.0, 1.0, 0.0 };
        var a = new double[3]; var b = new double[3]; var c = new double[3]; var dd = new double[3];
        var piv = new bool[3];
        double tol = Tridiagonal.Factor(d, e, 0, 3, 0.0, a, b, c, dd, piv);
        Assert.False(piv[0]);
        // the elimination without interchange: multiplier 1, new pivot 0 - 1 * 1 = -1
        Assert.Equal(1.0, c[0]);
        Assert.Equal(-1.0, a[1]);
        var y = new[] { 1.0, 2.0, -1.0 };
        var x = (double[])y.Clone();
        Tridiagonal.Solve(3, a, b, c, dd, piv, tol, x);
        Assert.True(RelativeResidual(d, e, 0.0, x, y) <= 1e-15);
    }

    /// <summary>dsterf solves a block of two rows by the closed form (dlae2) instead of an implicit-shift sweep, in
    /// both directions (|d| growing: QL; falling: QR), and a block of one row needs nothing: no sweep is counted.
    /// A 2 x 2 block left at the end of a longer block is also taken by the closed form, so a matrix that splits
    /// into 2 x 2 blocks takes no sweep at all.</summary>
    [Fact]
    public void BlocksOfOneAndTwoRowsTakeNoSweep()
    {
        foreach (var (d, e) in new[]
        {
            (new[] { 1.0, 3.0 }, new[] { 0.7 }),   // QL
            (new[] { 3.0, 1.0 }, new[] { 0.7 }),   // QR
            (new[] { 5.0 }, Array.Empty<double>()),
            (new[] { 1.0, 2.0, 7.0, 9.0 }, new[] { 0.5, 0.0, -0.25 }), // two 2 x 2 blocks, one in each direction
            (new[] { 4.0, 2.0, 7.0, 6.0 }, new[] { 0.5, 0.0, -0.25 }),
        })
        {
            int n = d.Length;
            var dd = (double[])d.Clone();
            var ee = new double[n];
            Array.Copy(e, ee, e.Length);
            Assert.Equal(0, Tridiagonal.Sterf(dd, ee, n));
            Array.Sort(dd);
            // and the values are the closed forms (a + c)/2 -+ hypot((a - c)/2, b) of each 2 x 2 block
            var expected = new List<double>();
            for (int i = 0; i < n; i += 2)
            {
                if (i + 1 == n) { expected.Add(d[i]); continue; }
                double mid = 0.5 * (d[i] + d[i + 1]), rad = Math.Sqrt(0.25 * (d[i] - d[i + 1]) * (d[i] - d[i + 1]) + e[i] * e[i]);
                expected.Add(mid - rad); expected.Add(mid + rad);
            }
            expected.Sort();
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(dd[i] - expected[i]) <= 1e-15 * 10, $"{dd[i]:R} vs {expected[i]:R}");
        }
    }

    /// <summary>dstein's stopping rule: with an eigenvalue accurate to rounding, the first solve already amplifies
    /// the eigenvector far past the growth threshold sqrt(0.1 / n), and the iteration stops after two extra solves:
    /// exactly three per vector, for every vector of well-separated spectra (one block and two blocks), and the
    /// vectors are eigenvectors to rounding. A rule that never accepts a solve, or accepts a fourth, runs to the cap
    /// of eight or takes four.</summary>
    [Theory]
    [InlineData(40, 11UL, false)]
    [InlineData(90, 12UL, true)]
    public void InverseIterationTakesThreeSolvesPerAccurateEigenvalue(int n, ulong seed, bool twoBlocks)
    {
        var (d, e) = Random(n, seed);
        for (int i = 0; i < n; i++) d[i] += 3.0 * i / n; // spread the spectrum: gaps well above 1e-3 |T|
        if (twoBlocks) e[n / 2 - 1] = 0;
        var starts = Tridiagonal.SplitBlocks(d, e);
        var targets = new List<Tridiagonal.Target>();
        int col = 0;
        for (int blk = 0; blk + 1 < starts.Count; blk++)
        {
            var vals = Tridiagonal.BlockEigenvalues(d, e, starts[blk], starts[blk + 1]);
            Array.Sort(vals);
            foreach (double v in vals) targets.Add(new Tridiagonal.Target(blk, v, col++));
        }
        var z = new Matrix(n, n);
        var solves = new int[n];
        Tridiagonal.InverseIteration(d, e, starts, targets, z, solves);
        Assert.All(solves, k => Assert.Equal(3, k));
        for (int t = 0; t < n; t++)
        {
            double lambda = targets[t].Value, worst = 0;
            for (int i = 0; i < n; i++)
            {
                double r = (d[i] - lambda) * z[i, t];
                if (i > 0) r += e[i - 1] * z[i - 1, t];
                if (i < n - 1) r += e[i] * z[i + 1, t];
                worst = Math.Max(worst, Math.Abs(r));
            }
            Assert.True(worst <= 1e-13, $"vector {t}: residual {worst:E2}");
        }
    }

    [Theory]
    // |d| falls down the diagonal: dsterf chases from the bottom (QR); measured 355 and 897 sweeps
    [InlineData(200, 1UL, false)]
    [InlineData(500, 3UL, false)]
    // |d| grows down the diagonal: QL from the top; measured 356 sweeps
    [InlineData(200, 2UL, true)]
    public void SterfConvergesInAboutTwoSweepsPerEigenvalue(int n, ulong seed, bool growing)
    {
        var (d, e) = Random(n, seed);
        if (growing)
            for (int i = 0; i < n; i++) d[i] = Math.Abs(d[i]) + 10.0 * i / n;
        else
            for (int i = 0; i < n; i++) d[i] = Math.Abs(d[i]) + 10.0 * (n - i) / n;
        var dd = (double[])d.Clone();
        var ee = (double[])e.Clone();
        int sweeps = Tridiagonal.Sterf(dd, ee, n);
        // cubic convergence: 1.78-1.79 sweeps per eigenvalue measured, bound 2 (12 % above); a wrong shift or sweep
        // direction still converges, but with 2.2-2.3 sweeps per eigenvalue or more
        Assert.True(sweeps <= 2 * n, $"{sweeps} sweeps for n = {n}");
        Assert.True(sweeps >= n / 4, $"{sweeps} sweeps for n = {n}: fewer than any QL iteration can take");
        // and the values are right (Sturm-sequence count: exactly i eigenvalues lie below the midpoint of each gap)
        Array.Sort(dd);
        for (int i = 1; i < n; i++)
        {
            double mid = 0.5 * (dd[i - 1] + dd[i]);
            if (dd[i] - dd[i - 1] < 1e-9) continue;
            Assert.Equal(i, SturmCount(d, e, mid));
        }
    }

    /// <summary>dsterf starts each block's iteration at the end with the smaller diagonal entry (QL when |d| grows
    /// down the block, QR when it falls), so that the shifts come from the small end first: on a graded,
    /// scaled-diagonally-dominant matrix the eigenvalues are then found to high RELATIVE accuracy, as they are
    /// determined by the entries (Barlow and Demmel 1990). The oracle is bisection with the Sturm count, which is
    /// relatively accurate on such matrices. Iterating from the large end gives the small eigenvalues an absolute
    /// error of about eps times the largest one, which this test sees: the grading spans 10^-3 per row.</summary>
    [Theory]
    [InlineData(14, 5UL, false)]
    [InlineData(14, 6UL, true)]
    [InlineData(25, 7UL, false)]
    public void GradedMatrixEigenvaluesHaveRelativeAccuracy(int n, ulong seed, bool growing)
    {
        var rng = new Rng(seed);
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Pow(1e-3, growing ? n - 1 - i : i) * (1 + 0.3 * rng.NextDouble());
        for (int i = 0; i < n - 1; i++) e[i] = 0.4 * Math.Sqrt(d[i] * d[i + 1]) * (rng.NextDouble() - 0.5);
        var dd = (double[])d.Clone();
        var ee = (double[])e.Clone();
        Tridiagonal.Sterf(dd, ee, n);
        Array.Sort(dd);
        // every eigenvalue is positive (|e_i| <= 0.2 sqrt(d_i d_i+1)); bisect each in the log domain
        for (int k = 0; k < n; k++)
        {
            double lo = dd[k] / 2, hi = dd[k] * 2;
            Assert.True(SturmCount(d, e, lo) <= k && SturmCount(d, e, hi) >= k + 1, $"value {k} = {dd[k]:R} is not the {k}-th");
            for (int it = 0; it < 200 && hi - lo > 1e-16 * hi; it++)
            {
                double mid = 0.5 * (lo + hi);
                if (SturmCount(d, e, mid) <= k) lo = mid; else hi = mid;
            }
            double rel = Math.Abs(dd[k] - 0.5 * (lo + hi)) / dd[k];
            Assert.True(rel <= 1e-13, $"value {k}: {dd[k]:R}, bisection {0.5 * (lo + hi):R}, relative error {rel:E2}");
        }
    }

    /// <summary>Number of eigenvalues of tridiag(e, d, e) below x (LDL' inertia).</summary>
    private static int SturmCount(double[] d, double[] e, double x)
    {
        int count = 0;
        double q = d[0] - x;
        if (q < 0) count++;
        for (int i = 1; i < d.Length; i++)
        {
            if (q == 0) q = 1e-300;
            q = d[i] - x - e[i - 1] * e[i - 1] / q;
            if (q < 0) count++;
        }
        return count;
    }
}
