using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class TridiagonalDivideConquerTests
{
    /// <summary>max |T v_r - l_r v_r| and max |V V' - I| for transposed eigenvectors (row r of vt).</summary>
    internal static (double Residual, double Orth) Check(double[] d, double[] e, double[] vals, double[] vt)
    {
        int n = d.Length;
        double res = 0, orth = 0;
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < n; i++)
            {
                double t = d[i] * vt[r * n + i];
                if (i > 0) t += e[i - 1] * vt[r * n + i - 1];
                if (i < n - 1) t += e[i] * vt[r * n + i + 1];
                res = Math.Max(res, Math.Abs(t - vals[r] * vt[r * n + i]));
            }
            for (int s = r; s < n; s++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += vt[r * n + i] * vt[s * n + i];
                orth = Math.Max(orth, Math.Abs(dot - (r == s ? 1 : 0)));
            }
        }
        return (res, orth);
    }

    public static IEnumerable<object[]> Cases()
    {
        yield return ["laplacian", 300];
        yield return ["random", 257];
        yield return ["wilkinson", 201];
        yield return ["glued-wilkinson", 6 * 21];
        yield return ["constant-diagonal", 150];
        yield return ["graded", 180];
    }

    internal static (double[] D, double[] E) Make(string kind, int n)
    {
        var d = new double[n];
        var e = new double[n - 1];
        var rng = new Rng((ulong)n);
        switch (kind)
        {
            case "laplacian": Array.Fill(d, 2.0); Array.Fill(e, -1.0); break;
            case "random": rng.FillGaussian(d); rng.FillGaussian(e); break;
            case "wilkinson": for (int i = 0; i < n; i++) d[i] = Math.Abs(n / 2 - i); Array.Fill(e, 1.0); break;
            case "glued-wilkinson":
                // W21+ blocks glued by 1e-7: massive deflation and near-degenerate clusters
                for (int i = 0; i < n; i++) d[i] = Math.Abs(10 - i % 21);
                for (int i = 0; i < n - 1; i++) e[i] = (i % 21 == 20) ? 1e-7 : 1.0;
                break;
            case "constant-diagonal": Array.Fill(d, 1.0); for (int i = 0; i < n - 1; i++) e[i] = 1e-3 * (1 + rng.NextDouble()); break;
            case "graded": for (int i = 0; i < n; i++) d[i] = Math.Pow(10, -6.0 * i / n); for (int i = 0; i < n - 1; i++) e[i] = 0.5 * Math.Pow(10, -6.0 * i / n); break;
        }
        return (d, e);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EigenpairsHaveSmallResidualAndAreOrthogonalAndMatchSterf(string kind, int n)
    {
        var (d, e) = Make(kind, n);
        var vals = TridiagonalDivideConquer.Solve(d, e, 0, n, out var vt);
        double norm = 0;
        for (int i = 0; i < n; i++) norm = Math.Max(norm, Math.Abs(d[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0));
        var (res, orth) = Check(d, e, vals, vt);
        Assert.InRange(res, 0, 1e-13 * norm * Math.Sqrt(n));
        Assert.InRange(orth, 0, 1e-12 * Math.Sqrt(n));
        var dd = (double[])d.Clone();
        var ee = new double[n];
        Array.Copy(e, ee, n - 1);
        Tridiagonal.Sterf(dd, ee, n);
        Array.Sort(dd);
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(vals[i] - dd[i]), 0, 1e-13 * norm * Math.Sqrt(n));
        for (int i = 1; i < n; i++) Assert.True(vals[i] >= vals[i - 1]);
    }
}
