using AttentionSpectra.Numerics;
using static AttentionSpectra.Tests.Numerics.TridiagonalDivideConquerTests;
using static AttentionSpectra.Tests.Numerics.TridiagonalMutationTests;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Divide and conquer (<see cref="TridiagonalDivideConquer"/>) at its deflation cases: a coupling so small
/// that every pole deflates (nothing left for the secular equation), persymmetric matrices whose two halves have the
/// same spectrum (every pole pairs with an equal one: Givens deflation), the smallest size that merges, both signs of
/// the coupling, and a spectrum with one isolated outlier. Oracles: MathNet's values, the residual |T v - l v| and
/// the orthogonality of the vectors, and closed forms where they exist.</summary>
public class TridiagonalDivideConquerMutationTests
{
    private static void AssertEigenpairs(double[] d, double[] e, double[] vals, double[] vt, double[] expected)
    {
        int n = d.Length;
        double norm = expected.Max(Math.Abs);
        var (res, orth) = Check(d, e, vals, vt);
        Assert.InRange(res, 0, 1e-14 * norm * Math.Sqrt(n) * 4);
        Assert.InRange(orth, 0, 1e-13 * Math.Sqrt(n));
        Assert.Equal(n, vals.Length);
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(vals[i] - expected[i]) <= 1e-14 * norm * Math.Sqrt(n) * 4,
                $"value {i}: {vals[i]:R} vs {expected[i]:R}");
    }

    /// <summary>Two Laplacians tridiag(-1, 2, -1) of size h joined by a coupling of 1e-300 (sign s): the rank-one
    /// term is far below the deflation tolerance, so every pole deflates and the result is the union of the two
    /// closed-form spectra 2 - 2 cos(k pi / (h + 1)), each twice.</summary>
    [Theory]
    [InlineData(40, 1.0)]
    [InlineData(40, -1.0)]
    public void NegligibleCouplingDeflatesEverything(int h, double sign)
    {
        int n = 2 * h;
        var d = Enumerable.Repeat(2.0, n).ToArray();
        var e = Enumerable.Repeat(-1.0, n - 1).ToArray();
        e[h - 1] = sign * 1e-300;
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        var expected = Enumerable.Range(1, h).SelectMany(k => Enumerable.Repeat(2 - 2 * Math.Cos(k * Math.PI / (h + 1)), 2))
            .OrderBy(x => x).ToArray();
        AssertEigenpairs(d, e, vals, vt, expected);
        // each vector lives in one half
        for (int r = 0; r < n; r++)
        {
            double left = 0, right = 0;
            for (int i = 0; i < h; i++) { left += vt[r * n + i] * vt[r * n + i]; right += vt[r * n + h + i] * vt[r * n + h + i]; }
            Assert.InRange(Math.Min(left, right), 0, 1e-20);
        }
    }

    /// <summary>A persymmetric tridiagonal (d_i = d_{n-1-i}, e_i = e_{n-2-i}) splits at the middle into two mirror
    /// images with the same spectrum, so the poles of the top merge come in equal pairs and half of them deflate by
    /// rotation. Sizes: the top split halves are leaves (n = 64) or merged themselves (n = 150).</summary>
    [Theory]
    [InlineData(64, 1.0)]
    [InlineData(64, -0.3)]
    [InlineData(150, 0.8)]
    public void PersymmetricMatrixDeflatesEqualPoles(int n, double middle)
    {
        var rng = new Rng((ulong)n);
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n / 2; i++) d[i] = d[n - 1 - i] = rng.NextGaussian();
        for (int i = 0; i < n / 2 - 1; i++) e[i] = e[n - 2 - i] = 0.2 + rng.NextDouble();
        e[n / 2 - 1] = middle;
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        AssertEigenpairs(d, e, vals, vt, MathNetValues(d, e));
    }

    /// <summary>The smallest sizes around the leaf size (32: a single QL leaf; 33: one merge of 16 + 17) and a block
    /// taken from the middle of longer arrays (offset b0).</summary>
    [Theory]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(65)]
    public void SizesAroundTheLeafAndOffsets(int n)
    {
        var rng = new Rng((ulong)(n + 7));
        int off = 4, total = n + off + 3;
        var dAll = new double[total];
        var eAll = new double[total - 1];
        rng.FillGaussian(dAll);
        rng.FillGaussian(eAll);
        var vals = TridiagonalDivideConquer.Solve(dAll, eAll, off, off + n, out var vt);
        var d = dAll[off..(off + n)];
        var e = eAll[off..(off + n - 1)];
        AssertEigenpairs(d, e, vals, vt, MathNetValues(d, e));
    }

    /// <summary>A spectrum with one far outlier (a large diagonal entry) and a dense bulk: the last secular root lies
    /// far right of the last pole, and most roots sit very close to one pole.</summary>
    [Theory]
    [InlineData(100, 1e4)]
    [InlineData(100, -1e4)]
    public void OutlierAndBulk(int n, double outlier)
    {
        var rng = new Rng(77);
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = 1 + 1e-3 * rng.NextGaussian();
        for (int i = 0; i < n - 1; i++) e[i] = 1e-2 * (1 + rng.NextDouble());
        d[n / 3] = outlier;
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        AssertEigenpairs(d, e, vals, vt, MathNetValues(d, e));
    }
    /// <summary>A block of at most <see cref="TridiagonalDivideConquer.LeafSize"/> rows is one implicit-QL leaf: the
    /// result is exactly <see cref="Tridiagonal.QlVectors"/> with its pairs sorted ascending (values and vector rows,
    /// bit for bit); one row more merges two halves, whose result satisfies the same checks but not bit for bit.
    /// Graded input makes QL return its values out of order, so the sort is needed.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(TridiagonalDivideConquer.LeafSize)]
    public void LeafSizedBlockIsSortedQl(int n)
    {
        var d = new double[n];
        var e = new double[n];
        var rng = new Rng((ulong)(500 + n));
        for (int i = 0; i < n; i++) { d[i] = Math.Pow(10, -4.0 * i / n) * (1 + rng.NextDouble()); e[i] = 0.3 * rng.NextGaussian(); }
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        var ql = Tridiagonal.QlVectors(d, e, 0, n, out var qvt);
        var idx = Enumerable.Range(0, n).OrderBy(r => ql[r]).ToArray();
        if (n > 2) Assert.False(idx.SequenceEqual(Enumerable.Range(0, n)), "QL order was already ascending");
        Assert.Equal(n, vals.Length);
        Assert.Equal((long)n * n, vt.LongLength);
        for (int r = 0; r < n; r++)
        {
            Assert.Equal(ql[idx[r]], vals[r]);
            for (int i = 0; i < n; i++) Assert.Equal(qvt[idx[r] * n + i], vt[r * n + i]);
        }
        AssertEigenpairs(d, e[..(n - 1)], vals, vt, MathNetValues(d, e[..(n - 1)]));
        // one row more: a merge (same properties, other rounding)
        var d1 = new double[n + 1];
        var e1 = new double[n + 1];
        Array.Copy(d, d1, n); d1[n] = 0.5;
        Array.Copy(e, e1, n); e1[n - 1] = 0.25;
        var vals1 = TridiagonalDivideConquer.Solve(d1, e1, 0, n + 1, out var vt1);
        var ql1 = Tridiagonal.QlVectors(d1, e1, 0, n + 1, out _);
        Array.Sort(ql1);
        AssertEigenpairs(d1, e1[..n], vals1, vt1, MathNetValues(d1, e1[..n]));
        if (n == TridiagonalDivideConquer.LeafSize) Assert.NotEqual(ql1, vals1);
    }
    /// <summary>A coupling below the deflation tolerance 8 eps max|d| (here 1e-17 with every pole of size about 1 to
    /// 3, and end diagonals of at least 1, so d - rho = d exactly) must decouple exactly: the eigenpairs are those of
    /// the two halves solved alone, bit for bit, each vector padded with exact zeros. A rank-one term that the merge
    /// did not deflate would mix the halves (entries of about 1e-17 in the other half) and move the values.</summary>
    [Theory]
    [InlineData(40, 1e-17)]
    [InlineData(40, -1e-17)]
    [InlineData(70, 1e-17)]
    public void CouplingBelowTheToleranceDecouplesExactly(int h, double coupling)
    {
        int n = 2 * h;
        var rng = new Rng((ulong)(900 + h));
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = 2 + rng.NextDouble() * Math.Sign(rng.NextGaussian());
        for (int i = 0; i < n - 1; i++) e[i] = 0.3 * rng.NextGaussian();
        e[h - 1] = coupling;
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        var v1 = TridiagonalDivideConquer.Solve(d, e, 0, h, out var q1);
        var v2 = TridiagonalDivideConquer.Solve(d, e, h, n, out var q2);
        // expected: the union of the halves' pairs, ascending
        var pairs = Enumerable.Range(0, h).Select(r => (Value: v1[r], Half: 0, Row: r))
            .Concat(Enumerable.Range(0, h).Select(r => (Value: v2[r], Half: 1, Row: r)))
            .OrderBy(p => p.Value).ToArray();
        for (int r = 0; r < n; r++)
        {
            var (value, half, row) = pairs[r];
            Assert.Equal(value, vals[r]);
            var q = half == 0 ? q1 : q2;
            for (int i = 0; i < n; i++)
            {
                int local = i - half * h;
                double expected = local >= 0 && local < h ? q[row * h + local] : 0.0;
                Assert.Equal(expected, vt[r * n + i]);
            }
        }
        AssertEigenpairs(d, e, vals, vt, MathNetValues(d, e));
    }

    /// <summary>T = 0 (n = 40: two leaves and a merge with coupling 0 and every pole 0, so the deflation tolerance is
    /// exactly 0): every vector is an eigenvector for 0; the result must be 40 zeros and a finite orthonormal basis.
    /// </summary>
    [Fact]
    public void ZeroMatrixGivesZerosAndAnOrthonormalBasis()
    {
        int n = 40;
        var d = new double[n];
        var e = new double[n - 1];
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        Assert.All(vals, v => Assert.Equal(0.0, v));
        Assert.All(vt, x => Assert.True(double.IsFinite(x)));
        var (res, orth) = Check(d, e, vals, vt);
        Assert.Equal(0.0, res);
        Assert.InRange(orth, 0, 1e-15);
    }
}
