using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Classification of a critical point by the signs of its Hessian eigenvalues.</summary>
public enum CriticalKind
{
    /// <summary>Every Hessian eigenvalue is negative.</summary>
    LocalMaximum,
    /// <summary>Hessian eigenvalues of both signs.</summary>
    StrictSaddle,
    /// <summary>A minimum whose risk is the smallest among the minima.</summary>
    GlobalMinimum,
    /// <summary>A minimum with a larger risk than the global one.</summary>
    LocalMinimum,
    /// <summary>A zero Hessian eigenvalue (to rounding): the second-order test does not decide.</summary>
    Degenerate,
}

/// <summary>A critical point of R_inf with its Hessian spectrum and classification.</summary>
public sealed record CriticalPoint(string Name, int EigenIndex, double[] Mu, double Risk, double GradientNorm,
    double[] HessianEigenvalues, CriticalKind Kind)
{
    /// <summary>Tolerance below which a Hessian eigenvalue counts as zero (flat), the one the classification used
    /// (1e-9 lam lambda_max^2 in <see cref="CriticalPoints.Enumerate"/>).</summary>
    public double ZeroTolerance { get; init; }

    /// <summary>Number of Hessian eigenvalues below -<see cref="ZeroTolerance"/> (descent directions; the Morse
    /// index), consistent with <see cref="Kind"/>: a flat direction is not counted.</summary>
    public int NegativeDirections => HessianEigenvalues.Count(v => v < -ZeroTolerance);
}

/// <summary>Critical points of R_inf (docs/theory.md §A): 0 and +-u_i / sqrt(lam lambda_i), classified from the
/// eigenvalues of the analytic Hessian (all negative: local max; mixed: strict saddle; all positive: minimum,
/// global when its risk equals the smallest risk among the minima).</summary>
public static class CriticalPoints
{
    /// <summary>Every critical point of R_inf for token covariance <paramref name="sigma"/> and score scale
    /// <paramref name="lam"/> > 0, classified; 0 first, then +-u_i in the order of the eigenvalues.</summary>
    public static IReadOnlyList<CriticalPoint> Enumerate(Matrix sigma, double lam)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        if (!(lam > 0) || !double.IsFinite(lam)) throw new ArgumentException($"lam must be positive and finite (got {lam}).");
        var eig = SymmetricEigen.Decompose(sigma);
        int d = sigma.Rows;
        double lmax = eig.Values[^1];
        if (!(eig.Values[0] > 0)) throw new ArgumentException("Sigma must be positive definite for the critical-point analysis.");
        double tol = 1e-9 * lam * lmax * lmax;
        var list = new List<CriticalPoint>();
        list.Add(Make("0", 0, new double[d], sigma, lam, tol));
        for (int i = 1; i <= d; i++)
        {
            var u = eig.Vector(d - i);
            double s = 1.0 / Math.Sqrt(lam * eig.Values[d - i]);
            list.Add(Make($"+u{i}/sqrt(lam*lambda{i})", i, u.Select(x => x * s).ToArray(), sigma, lam, tol));
            list.Add(Make($"-u{i}/sqrt(lam*lambda{i})", i, u.Select(x => -x * s).ToArray(), sigma, lam, tol));
        }
        double best = list.Where(c => c.Kind == CriticalKind.LocalMinimum).Select(c => c.Risk).DefaultIfEmpty(double.NaN).Min();
        double rtol = 1e-9 * Math.Max(1, Math.Abs(sigma.Trace()));
        return list.Select(c => c.Kind == CriticalKind.LocalMinimum && Math.Abs(c.Risk - best) <= rtol
            ? c with { Kind = CriticalKind.GlobalMinimum } : c).ToList();
    }

    private static CriticalPoint Make(string name, int index, double[] mu, Matrix sigma, double lam, double tol)
    {
        var h = ClosedForms.RInfHessian(sigma, mu, lam);
        var ev = SymmetricEigen.Eigenvalues(h);
        int neg = ev.Count(v => v < -tol), pos = ev.Count(v => v > tol);
        var kind = neg == ev.Length ? CriticalKind.LocalMaximum
            : pos == ev.Length ? CriticalKind.LocalMinimum
            : neg > 0 ? CriticalKind.StrictSaddle : CriticalKind.Degenerate;
        var g = ClosedForms.RInfGradient(sigma, mu, lam);
        double gn = Math.Sqrt(g.Sum(x => x * x));
        return new CriticalPoint(name, index, mu, ClosedForms.RInf(sigma, mu, lam), gn, ev, kind)
            { ZeroTolerance = tol };
    }
}
