using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>The Householder reduction A = Q T Q' (<see cref="HouseholderTridiagonal"/>) checked directly, without an
/// eigensolver: Q from the back-transformation of the identity must be orthogonal and Q T Q' must give back A, at
/// sizes around the panel width (32, 64 = two panels in one), above the parallel matrix-vector threshold (449), for
/// inputs whose reflectors vanish (tridiagonal, block-diagonal: tau = 0 in a later panel), and with junk above the
/// diagonal (only the lower triangle is read).</summary>
public class HouseholderTridiagonalTests
{
    private sealed class SyncProgress : IProgress<ProgressUpdate>
    {
        public List<ProgressUpdate> Updates { get; } = [];
        public void Report(ProgressUpdate value) => Updates.Add(value);
    }

    /// <summary>Q (n x n) = back-transform of the identity.</summary>
    private static Matrix FormQ(HouseholderTridiagonal tri)
    {
        var q = Matrix.Identity(tri.N);
        tri.BackTransform(q);
        return q;
    }

    /// <summary>max |Q T Q' - A| (symmetric A given by its lower triangle), with plain loops.</summary>
    private static double ReconstructionError(Matrix a, HouseholderTridiagonal tri, Matrix q)
    {
        int n = a.Rows;
        var qt = new double[n, n]; // Q T
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = q[i, j] * tri.D[j];
                if (j > 0) s += q[i, j - 1] * tri.E[j - 1];
                if (j < n - 1) s += q[i, j + 1] * tri.E[j];
                qt[i, j] = s;
            }
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += qt[i, k] * q[j, k];
                worst = Math.Max(worst, Math.Abs(s - a[i, j]));
            }
        return worst;
    }

    private static Matrix LowerWithJunk(Matrix a)
    {
        var b = a.Clone();
        for (int i = 0; i < a.Rows; i++) for (int j = i + 1; j < a.Cols; j++) b[i, j] = double.NaN;
        return b;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(130)]
    [InlineData(450)]
    public void QTQtReproducesTheMatrixAndQIsOrthogonal(int n)
    {
        var a = EigenTestUtil.RandomSymmetric(new Rng((ulong)(1000 + n)), n);
        var tri = new HouseholderTridiagonal(LowerWithJunk(a));
        Assert.Equal(n, tri.N);
        Assert.Equal(n, tri.D.Length);
        Assert.Equal(Math.Max(n - 1, 0), tri.E.Length);
        var q = FormQ(tri);
        Assert.InRange(EigenTestUtil.Orthogonality(q), 0, 4e-14 * Math.Sqrt(n));
        Assert.InRange(ReconstructionError(a, tri, q), 0, 1e-14 * n);
        // back-transforming only some columns gives the same columns of Q
        if (n >= 3)
        {
            int[] cols = [0, n / 2, n - 1];
            var z = new Matrix(n, cols.Length);
            for (int c = 0; c < cols.Length; c++) z[cols[c], c] = 1;
            tri.BackTransform(z);
            for (int c = 0; c < cols.Length; c++)
                for (int i = 0; i < n; i++) Assert.Equal(q[i, cols[c]], z[i, c], 1e-14);
        }
    }

    /// <summary>A tridiagonal input needs no reflector: T is the input exactly and Q = I exactly.</summary>
    [Fact]
    public void TridiagonalInputIsLeftAlone()
    {
        int n = 80;
        var rng = new Rng(3);
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++) { a[i, i] = rng.NextGaussian(); if (i > 0) a[i, i - 1] = a[i - 1, i] = rng.NextGaussian(); }
        var tri = new HouseholderTridiagonal(a);
        for (int i = 0; i < n; i++) Assert.Equal(a[i, i], tri.D[i]);
        for (int i = 0; i < n - 1; i++) Assert.Equal(a[i + 1, i], tri.E[i]);
        var q = FormQ(tri);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) Assert.Equal(i == j ? 1.0 : 0.0, q[i, j]);
    }

    /// <summary>A tridiagonal matrix plus entries of 1e-10 further out: each row's reflector maps a vector that is
    /// almost parallel to e_(i-1), where only beta = -sign(alpha) |x| avoids cancellation in alpha - beta. The tiny
    /// entries must survive: Q T Q' = A to rounding and Q orthogonal.</summary>
    [Fact]
    public void NearlyTridiagonalInputKeepsItsSmallEntries()
    {
        int n = 40;
        var rng = new Rng(13);
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double x = i == j ? rng.NextGaussian() : i == j + 1 ? 1 + rng.NextDouble() : 1e-10 * rng.NextGaussian();
                a[i, j] = x; a[j, i] = x;
            }
        var tri = new HouseholderTridiagonal(a);
        var q = FormQ(tri);
        Assert.InRange(EigenTestUtil.Orthogonality(q), 0, 1e-14 * n);
        Assert.InRange(ReconstructionError(a, tri, q), 0, 1e-14 * n);
    }

    /// <summary>diag(B1, B2): the reflector of the first row of B2 (row 50, in the second panel) vanishes, so T splits
    /// exactly there (E[49] = 0) and that row's slot of the panel workspace must not keep the previous panel's
    /// vector. T, Q must still reproduce A.</summary>
    [Theory]
    [InlineData(100, 50)]
    [InlineData(140, 70)]
    public void BlockDiagonalInputSplitsExactly(int n, int split)
    {
        var a = new Matrix(n, n);
        var b1 = EigenTestUtil.RandomSymmetric(new Rng(7), split);
        var b2 = EigenTestUtil.RandomSymmetric(new Rng(8), n - split);
        for (int i = 0; i < split; i++) for (int j = 0; j < split; j++) a[i, j] = b1[i, j];
        for (int i = split; i < n; i++) for (int j = split; j < n; j++) a[i, j] = b2[i - split, j - split];
        var tri = new HouseholderTridiagonal(a);
        Assert.Equal(0.0, tri.E[split - 1]);
        var q = FormQ(tri);
        Assert.InRange(EigenTestUtil.Orthogonality(q), 0, 1e-13);
        Assert.InRange(ReconstructionError(a, tri, q), 0, 1e-12);
        // Q keeps the two coordinate blocks apart
        for (int i = 0; i < split; i++) for (int j = split; j < n; j++) { Assert.Equal(0.0, q[i, j]); Assert.Equal(0.0, q[j, i]); }
    }

    /// <summary>The norm used for the reflectors: plain for ordinary values, rescaled by the largest magnitude where
    /// the sum of squares would underflow or overflow.</summary>
    [Fact]
    public void NormIsSafeAtExtremeScales()
    {
        Assert.Equal(5.0, HouseholderTridiagonal.Norm([3.0, -4.0]), 15);
        Assert.Equal(5e-200, HouseholderTridiagonal.Norm([3e-200, 4e-200]), 1e-214);
        Assert.Equal(5e200, HouseholderTridiagonal.Norm([-3e200, 4e200]), 1e186);
        Assert.Equal(1e-160 * Math.Sqrt(2), HouseholderTridiagonal.Norm([1e-160, 1e-160]), 1e-174);
        Assert.Equal(1e155 * Math.Sqrt(3), HouseholderTridiagonal.Norm([1e155, 1e155, -1e155]), 1e141);
        Assert.Equal(0.0, HouseholderTridiagonal.Norm([0.0, 0.0]));
        // a reduction whose reflector columns need the rescaling: entries of 1e-160 next to 1
        int n = 40;
        var a = EigenTestUtil.RandomSymmetric(new Rng(9), n);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) a[i, j] *= 1e-160;
        var tri = new HouseholderTridiagonal(a);
        var q = FormQ(tri);
        Assert.InRange(EigenTestUtil.Orthogonality(q), 0, 1e-13);
        Assert.InRange(ReconstructionError(a, tri, q), 0, 1e-14);
    }

    /// <summary>Progress: the reduction reports ("tridiagonalise", rows done, n) per panel and the back-transform
    /// ("back-transform", columns done, n) per reflector block, both increasing to n.</summary>
    [Fact]
    public void ReportsProgressUpToN()
    {
        int n = 150;
        var a = EigenTestUtil.RandomSymmetric(new Rng(10), n);
        var p = new SyncProgress();
        var tri = new HouseholderTridiagonal(a, p);
        Assert.All(p.Updates, u => Assert.Equal(("tridiagonalise", (double)n), (u.Task, u.Total)));
        // panels of 32 rows from the bottom while more than 64 remain (150 → 118 → 86 → 54), then the last 54
        Assert.Equal(new double[] { 32, 64, 96, 150 }, p.Updates.Select(u => u.Completed));
        var back = new SyncProgress();
        tri.BackTransform(Matrix.Identity(n), back);
        Assert.All(back.Updates, u => Assert.Equal(("back-transform", (double)n), (u.Task, u.Total)));
        Assert.Equal(new double[] { 33, 65, 97, 129, 150 }, back.Updates.Select(u => u.Completed));
        // n = 96: one panel of 32, then exactly 64 rows remain, which are one panel
        var p96 = new SyncProgress();
        _ = new HouseholderTridiagonal(EigenTestUtil.RandomSymmetric(new Rng(12), 96), p96);
        Assert.Equal(new double[] { 32, 96 }, p96.Updates.Select(u => u.Completed));
        // n = 65: reflectors 1..64 are two blocks of 32; the back-transform reports 33 and 65, nothing after
        var t65 = new HouseholderTridiagonal(EigenTestUtil.RandomSymmetric(new Rng(14), 65));
        var b65 = new SyncProgress();
        t65.BackTransform(Matrix.Identity(65), b65);
        Assert.Equal(new double[] { 33, 65 }, b65.Updates.Select(u => u.Completed));
        // nothing to transform, nothing reported
        var none = new SyncProgress();
        t65.BackTransform(new Matrix(65, 0), none);
        Assert.Empty(none.Updates);
    }

    /// <summary>n = 3 by hand: reflector 1 acts on a single entry (tau = 0, E[0] is what the rotation leaves there);
    /// reflector 2 is the 2 x 2 reflection H = [[c, s], [s, -c]], (c, s) = sign(a21) (a21, -a20) / r with r =
    /// hypot(a20, a21), the unique reflection mapping x = (a20, a21) to beta e_1 with beta = -sign(a21) r (LAPACK's
    /// sign: no cancellation in alpha - beta). Then T = diag(H, 1) A diag(H, 1), Q = diag(H, 1). Every sign of
    /// a20 and a21 (also a21 = 0 and -0), a tiny a20 and a20 = 0 (no reflection: T = A exactly, Q = I exactly).</summary>
    [Theory]
    [InlineData(0.7, 2.0)]
    [InlineData(-0.7, 2.0)]
    [InlineData(0.7, -2.0)]
    [InlineData(-3.0, -0.25)]
    [InlineData(1.5, 0.0)]
    [InlineData(-2.5, -0.0)]
    [InlineData(1e-9, -1.0)]
    [InlineData(0.0, -1.0)]
    public void ThreeByThreeIsTheClosedFormReflection(double a20, double a21)
    {
        double a00 = 1.25, a10 = -0.5, a11 = 3.0, a22 = -2.0;
        var a = new Matrix(3, 3);
        a[0, 0] = a00; a[1, 0] = a[0, 1] = a10; a[1, 1] = a11;
        a[2, 0] = a[0, 2] = a20; a[2, 1] = a[1, 2] = a21; a[2, 2] = a22;
        var tri = new HouseholderTridiagonal(LowerWithJunk(a));
        var q = FormQ(tri);
        double r = Math.Sqrt(a20 * a20 + a21 * a21), sg = Math.CopySign(1.0, a21);
        if (a20 == 0)
        {
            Assert.Equal(new[] { a00, a11, a22 }, tri.D);
            Assert.Equal(new[] { a10, a21 }, tri.E);
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) Assert.Equal(i == j ? 1.0 : 0.0, q[i, j]);
            return;
        }
        double c = sg * a21 / r, s = -sg * a20 / r;
        double[,] h = { { c, s }, { s, -c } }, b = { { a00, a10 }, { a10, a11 } };
        var t = new double[2, 2]; // H B H
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++)
                    for (int l = 0; l < 2; l++) t[i, j] += h[i, k] * b[k, l] * h[l, j];
        Assert.Equal(a22, tri.D[2]);
        Assert.Equal(-sg * r, tri.E[1], 1e-15);
        Assert.Equal(t[0, 0], tri.D[0], 1e-14);
        Assert.Equal(t[1, 1], tri.D[1], 1e-14);
        Assert.Equal(t[1, 0], tri.E[0], 1e-14);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) Assert.Equal(h[i, j], q[i, j], 1e-15);
        for (int i = 0; i < 2; i++) { Assert.Equal(0.0, q[i, 2]); Assert.Equal(0.0, q[2, i]); }
        Assert.Equal(1.0, q[2, 2]);
    }

    [Fact]
    public void BackTransformChecksTheRowCount()
    {
        var tri = new HouseholderTridiagonal(EigenTestUtil.RandomSymmetric(new Rng(11), 5));
        var ex = Assert.Throws<NumericsException>(() => tri.BackTransform(new Matrix(4, 2)));
        Assert.Equal("Back-transform expects 5 rows, got 4.", ex.Message);
        var none = new Matrix(5, 0);
        tri.BackTransform(none); // nothing to transform
        Assert.Empty(new HouseholderTridiagonal(new Matrix(0, 0)).D);
    }
}
