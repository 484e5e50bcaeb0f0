using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Closed-form risks of docs/theory.md §A. Notation: a = mu'Sigma mu, b = mu'Sigma^2 mu, t = tr Sigma.</summary>
public static class ClosedForms
{
    private static void CheckSigma(Matrix sigma)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        NumericsException.ThrowIfNotSquare(sigma, "Sigma");
        NumericsException.ThrowIfNotFinite(sigma, "Sigma");
    }

    private static void CheckLam(double lam)
    {
        if (!(lam > 0) || !double.IsFinite(lam)) throw new ArgumentException($"lam must be positive and finite (got {lam}).");
    }

    private static void CheckVec(ReadOnlySpan<double> mu, int d, string what = "mu")
    {
        if (mu.Length != d) throw new ArgumentException($"{what} has length {mu.Length}, expected {d}.");
        foreach (var v in mu) if (!double.IsFinite(v)) throw new ArgumentException($"{what} contains a non-finite value.");
    }

    /// <summary>(a, b, Sigma mu, Sigma^2 mu).</summary>
    public static (double A, double B, double[] SMu, double[] S2Mu) Moments(Matrix sigma, ReadOnlySpan<double> mu)
    {
        CheckSigma(sigma); CheckVec(mu, sigma.Rows);
        var smu = sigma.Multiply(mu);
        var s2mu = sigma.Multiply(smu);
        return (TensorPrimitives.Dot(mu, smu), TensorPrimitives.Dot(smu, smu), smu, s2mu);
    }

    /// <summary>Infinite-prompt risk R_inf = t - 2 lam b + lam^2 a b (both heads; T_inf(x) = lam Sigma mu mu' x).</summary>
    public static double RInf(Matrix sigma, ReadOnlySpan<double> mu, double lam)
    {
        CheckLam(lam);
        var (a, b, _, _) = Moments(sigma, mu);
        return sigma.Trace() - 2 * lam * b + lam * lam * a * b;
    }

    /// <summary>grad R_inf = -4 lam Sigma^2 mu + 2 lam^2 (a Sigma^2 mu + b Sigma mu).</summary>
    public static double[] RInfGradient(Matrix sigma, ReadOnlySpan<double> mu, double lam)
    {
        CheckLam(lam);
        var (a, b, smu, s2mu) = Moments(sigma, mu);
        var g = new double[mu.Length];
        for (int i = 0; i < g.Length; i++) g[i] = -4 * lam * s2mu[i] + 2 * lam * lam * (a * s2mu[i] + b * smu[i]);
        return g;
    }

    /// <summary>Hessian of R_inf (derived here):
    /// H = -4 lam Sigma^2 + 2 lam^2 ( b Sigma + a Sigma^2 + 2 (Sigma mu mu' Sigma^2 + Sigma^2 mu mu' Sigma) ).</summary>
    public static Matrix RInfHessian(Matrix sigma, ReadOnlySpan<double> mu, double lam)
    {
        CheckLam(lam);
        var (a, b, smu, s2mu) = Moments(sigma, mu);
        int d = sigma.Rows;
        var s2 = Blas.Multiply(sigma, sigma);
        var h = new Matrix(d, d);
        double l2 = lam * lam;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                h[i, j] = -4 * lam * s2[i, j] + 2 * l2 * (b * sigma[i, j] + a * s2[i, j] + 2 * (smu[i] * s2mu[j] + s2mu[i] * smu[j]));
        return h;
    }

    /// <summary>Exact finite-L risk of the linear head (L tokens including the query, no 1/L):
    /// R_lin,L = t - 2 lam t a - 2 lam (L+1) b + lam^2 (L+2) t a^2 + lam^2 (L+2)(L+3) a b.</summary>
    public static double RLinear(Matrix sigma, ReadOnlySpan<double> mu, double lam, int l)
    {
        CheckLam(lam);
        if (l < 1) throw new ArgumentException($"Prompt length L must be >= 1 (got {l}).");
        var (a, b, _, _) = Moments(sigma, mu);
        double t = sigma.Trace();
        return t - 2 * lam * t * a - 2 * lam * (l + 1) * b + lam * lam * (l + 2) * t * a * a + lam * lam * (l + 2.0) * (l + 3.0) * a * b;
    }

    /// <summary>Gradient of <see cref="RLinear"/>:
    /// -4 lam t Sigma mu - 4 lam (L+1) Sigma^2 mu + 4 lam^2 (L+2) t a Sigma mu
    /// + c lam^2 (L+2)(L+3) (b Sigma mu + a Sigma^2 mu), with c = 2 (the exact derivative).</summary>
    /// <param name="sigma">Token covariance (d x d).</param>
    /// <param name="mu">Parameter vector (length d).</param>
    /// <param name="lam">Inverse temperature.</param>
    /// <param name="l">Prompt length L (tokens including the query).</param>
    /// <param name="crossTermFactor">c above. 2 is the derivative of R_lin,L; the authors' hand-written gradient
    /// (their linear_analytic.py) uses 4, which changes where the norm settles but hardly the direction.</param>
    public static double[] RLinearGradient(Matrix sigma, ReadOnlySpan<double> mu, double lam, int l,
        double crossTermFactor = 2)
    {
        CheckLam(lam);
        if (l < 1) throw new ArgumentException($"Prompt length L must be >= 1 (got {l}).");
        var (a, b, smu, s2mu) = Moments(sigma, mu);
        double t = sigma.Trace(), l2 = lam * lam;
        double cs = -4 * lam * t + 4 * l2 * (l + 2) * t * a + crossTermFactor * l2 * (l + 2.0) * (l + 3.0) * b;
        double cs2 = -4 * lam * (l + 1) + crossTermFactor * l2 * (l + 2.0) * (l + 3.0) * a;
        var g = new double[mu.Length];
        for (int i = 0; i < g.Length; i++) g[i] = cs * smu[i] + cs2 * s2mu[i];
        return g;
    }

    /// <summary>Rank-k infinite-prompt risk, parameters k x d (rows mu_j), G = sum_j mu_j mu_j':
    /// R = t - 2 lam tr(Sigma G Sigma) + lam^2 tr(Sigma G Sigma G Sigma) = E|x - lam Sigma G x|^2.</summary>
    public static double RInfRankK(Matrix sigma, ReadOnlySpan<double> m, int k, double lam)
    {
        CheckSigma(sigma); CheckLam(lam);
        int d = sigma.Rows;
        CheckVec(m, k * d, "parameters");
        var (sg, _) = SigmaG(sigma, m, k);         // Sigma G
        double tr1 = Blas.Multiply(sg, sigma).Trace();                  // tr(Sigma G Sigma)
        double tr2 = Blas.Multiply(Blas.Multiply(sg, sg), sigma).Trace(); // tr(Sigma G Sigma G Sigma)
        return sigma.Trace() - 2 * lam * tr1 + lam * lam * tr2;
    }

    private static (Matrix SG, Matrix G) SigmaG(Matrix sigma, ReadOnlySpan<double> m, int k)
    {
        int d = sigma.Rows;
        var mm = new Matrix(k, d, m.ToArray());
        var g = Blas.Multiply(mm, mm, transA: true); // d x d
        return (Blas.Multiply(sigma, g), g);
    }

    /// <summary>Gradient of the rank-k R_inf w.r.t. each mu_j (k x d):
    /// grad mu_j = 2 ( -2 lam Sigma^2 + lam^2 (Sigma^2 G Sigma + Sigma G Sigma^2) ) mu_j.</summary>
    public static double[] RInfRankKGradient(Matrix sigma, ReadOnlySpan<double> m, int k, double lam)
    {
        CheckSigma(sigma); CheckLam(lam);
        int d = sigma.Rows;
        CheckVec(m, k * d, "parameters");
        var (sg, _) = SigmaG(sigma, m, k);
        var s2 = Blas.Multiply(sigma, sigma);
        var sgs2 = Blas.Multiply(sg, s2);              // Sigma G Sigma^2
        var dr = new Matrix(d, d);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                dr[i, j] = -2 * lam * s2[i, j] + lam * lam * (sgs2[i, j] + sgs2[j, i]);
        var grad = new double[k * d];
        for (int j = 0; j < k; j++)
        {
            var y = dr.Multiply(m.Slice(j * d, d));
            for (int i = 0; i < d; i++) grad[j * d + i] = 2 * y[i];
        }
        return grad;
    }

    /// <summary>Infinite-prompt ICL risk averaged over Sigma = Wishart_n(V), V = xi^2 I + theta v v' (|v| = 1).</summary>
    public static double RIcl(ReadOnlySpan<double> mu, ReadOnlySpan<double> v, int n, double xi, double theta, double lam)
    {
        var (r2, al) = IclInvariants(mu, v, n, xi, theta, lam);
        int d = mu.Length;
        double x2 = xi * xi, x4 = x2 * x2;
        double p = x2 * r2 + theta * al * al;
        double q = x4 * r2 + (2 * x2 * theta + theta * theta) * al * al;
        double dd = d * x2 + theta;
        return n * dd - 2 * lam * n * ((n + 1) * q + dd * p) + lam * lam * n * (n + 2.0) * ((n + 3) * p * q + dd * p * p);
    }

    /// <summary>Gradient coefficients (a1, a2, a3, b1, b2, b3) of docs/theory.md §A: grad R_ICL = 2 (A mu + B al v).</summary>
    public static (double A1, double A2, double A3, double B1, double B2, double B3) IclCoefficients(int d, int n, double xi, double theta, double lam)
    {
        if (d < 1 || n < 1) throw new ArgumentException("ICL needs d >= 1 and n >= 1.");
        CheckLam(lam);
        double x2 = xi * xi, x4 = x2 * x2, l2 = lam * lam, nn2 = n * (n + 2.0);
        double a1 = 2 * l2 * nn2 * x4 * ((n + d + 3) * x2 + theta);
        double a2 = l2 * nn2 * x2 * theta * ((3 * n + 2 * d + 9) * x2 + (n + 5) * theta);
        double a3 = 2 * lam * n * x2 * ((n + d + 1) * x2 + theta);
        double b2 = 2 * l2 * nn2 * theta * theta * ((2 * n + d + 6) * x2 + (n + 4) * theta);
        double b3 = 2 * lam * n * theta * ((2 * n + d + 2) * x2 + (n + 2) * theta);
        return (a1, a2, a3, a2, b2, b3);
    }

    /// <summary>Gradient of R_ICL (the in-context risk, docs/theory.md §A) with respect to mu, in closed form; the
    /// same arguments as the risk itself.</summary>
    public static double[] RIclGradient(ReadOnlySpan<double> mu, ReadOnlySpan<double> v, int n, double xi, double theta, double lam)
    {
        var (r2, al) = IclInvariants(mu, v, n, xi, theta, lam);
        var (a1, a2, a3, b1, b2, b3) = IclCoefficients(mu.Length, n, xi, theta, lam);
        double aa = a1 * r2 + a2 * al * al - a3, bb = b1 * r2 + b2 * al * al - b3;
        var g = new double[mu.Length];
        double vn = TensorPrimitives.Norm(v);
        for (int i = 0; i < g.Length; i++) g[i] = 2 * (aa * mu[i] + bb * al * v[i] / vn);
        return g;
    }

    /// <summary>al*^2 = (a3 + b3) / (a1 + 2 a2 + b2): the global minima are +- al* v.</summary>
    public static double IclOptimalAlphaSquared(int d, int n, double xi, double theta, double lam)
    {
        var (a1, a2, a3, _, b2, b3) = IclCoefficients(d, n, xi, theta, lam);
        return (a3 + b3) / (a1 + 2 * a2 + b2);
    }

    private static (double R2, double Al) IclInvariants(ReadOnlySpan<double> mu, ReadOnlySpan<double> v, int n, double xi, double theta, double lam)
    {
        CheckLam(lam);
        if (mu.Length != v.Length || mu.Length < 1) throw new ArgumentException("mu and v must have the same positive length.");
        if (n < 1) throw new ArgumentException($"n must be >= 1 (got {n}).");
        if (!(xi > 0) || !(theta >= 0)) throw new ArgumentException("xi must be > 0 and theta >= 0.");
        CheckVec(mu, mu.Length);
        double vn = TensorPrimitives.Norm(v);
        if (!(vn > 0)) throw new ArgumentException("Spike direction v must be non-zero.");
        return (TensorPrimitives.Dot(mu, mu), TensorPrimitives.Dot(mu, v) / vn);
    }
}
