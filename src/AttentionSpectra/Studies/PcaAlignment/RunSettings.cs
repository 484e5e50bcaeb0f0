using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>How the initial parameters are drawn.</summary>
public enum InitKind
{
    /// <summary>Entries iid N(0, Scale^2 / d): the toolkit's historical default (Scale = 0.01).</summary>
    ScaledGaussian,
    /// <summary>Entries iid N(0, Scale^2): the paper's SGD starts (0.1 softmax, 0.01 linear).</summary>
    Gaussian,
    /// <summary>Each parameter vector uniform on the unit sphere (a standard normal vector divided by its norm): the
    /// paper's start for gradient descent on closed-form risks and for its ICL runs.</summary>
    Unit,
}

/// <summary>Initial law of the k x d parameters (one row per parameter vector).</summary>
/// <param name="Kind">The family.</param>
/// <param name="Scale">Entry standard deviation for <see cref="InitKind.Gaussian"/>; the s of N(0, s^2/d) for
/// <see cref="InitKind.ScaledGaussian"/>; ignored for <see cref="InitKind.Unit"/>.</param>
public sealed record InitLaw(InitKind Kind, double Scale)
{
    /// <summary>Unit-norm start.</summary>
    public static InitLaw Unit { get; } = new(InitKind.Unit, 1);

    /// <summary>Entries iid N(0, sd^2).</summary>
    /// <param name="sd">Entry standard deviation.</param>
    public static InitLaw Gaussian(double sd) => new(InitKind.Gaussian, sd);

    /// <summary>Entries iid N(0, s^2 / d).</summary>
    /// <param name="s">Scale; the entry standard deviation is s / sqrt(d).</param>
    public static InitLaw ScaledGaussian(double s) => new(InitKind.ScaledGaussian, s);

    /// <summary>Throws when the scale is not positive and finite.</summary>
    public void Validate()
    {
        if (Kind != InitKind.Unit) TrainingChecks.PositiveFinite(Scale, "init scale");
    }

    /// <summary>Draws k x d parameters (row-major) from <paramref name="rng"/>.</summary>
    /// <param name="rng">Generator (consumed).</param>
    /// <param name="k">Number of parameter vectors.</param>
    /// <param name="d">Dimension.</param>
    public double[] Draw(Rng rng, int k, int d)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var m = new double[k * d];
        switch (Kind)
        {
            case InitKind.ScaledGaussian:
                rng.FillGaussian(m, 0, Scale / Math.Sqrt(d));
                break;
            case InitKind.Gaussian:
                rng.FillGaussian(m, 0, Scale);
                break;
            default:
                for (int j = 0; j < k; j++)
                {
                    var row = m.AsSpan(j * d, d);
                    double n;
                    do { rng.FillGaussian(row); n = TensorPrimitives.Norm<double>(row); } while (n == 0);
                    TensorPrimitives.Divide(row, n, row);
                }
                break;
        }
        return m;
    }

    /// <summary>Plain statement of the law, e.g. "mu_0 entries iid N(0, 0.1^2)".</summary>
    public string Describe() => Kind switch
    {
        InitKind.ScaledGaussian => $"mu_0 entries iid N(0, {Scale:G3}^2/d)",
        InitKind.Gaussian => $"mu_0 entries iid N(0, {Scale:G3}^2)",
        _ => "mu_0 uniform on the unit sphere",
    };
}

/// <summary>Which covariance (or ICL spike) the runs of one experiment share.</summary>
public enum SigmaPolicy
{
    /// <summary>Every seed draws its own Sigma (and init): spread over seeds includes spread over
    /// covariances.</summary>
    PerSeed,
    /// <summary>One Sigma per figure (per dimension in a d sweep), shared by all seeds: the paper's protocol. It is
    /// the Sigma that seed 0 would draw, so seed 0 of a per-seed run and every seed here see the same matrix.</summary>
    PerFigure,
}

/// <summary>Band drawn around the mean curve over seeds.</summary>
public enum BandKind
{
    /// <summary>Mean +- one standard deviation over seeds, clipped to [0, 1].</summary>
    Sd,
    /// <summary>95% percentile bootstrap confidence interval of the mean over seeds (1000 resamples of the seeds),
    /// the band of the paper's time-series figures (seaborn's default).</summary>
    Bootstrap95,
}

/// <summary>Sweep couplings of a d sweep: quantities set from d at every grid point.</summary>
/// <param name="LEqualsD">Prompt length L = d.</param>
/// <param name="NEqualsD">ICL Wishart degrees of freedom n = d.</param>
/// <param name="LamTimesD">When set to C: lam = C / d.</param>
/// <param name="LrTimesD2">When set to C: lr = C / d^2.</param>
public sealed record SweepCoupling(bool LEqualsD = false, bool NEqualsD = false, double? LamTimesD = null,
    double? LrTimesD2 = null)
{
    /// <summary>No coupling.</summary>
    public static SweepCoupling None { get; } = new();

    /// <summary>The historical d-sweep scaling lam = 0.1/d, lr = 0.5/d^2.</summary>
    public static SweepCoupling Theory { get; } = new(LamTimesD: 0.1, LrTimesD2: 0.5);

    /// <summary>True when nothing is coupled.</summary>
    public bool IsNone => !LEqualsD && !NEqualsD && LamTimesD is null && LrTimesD2 is null;

    /// <summary>Human-readable form, e.g. "L=d, lam=0.1/d".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (LEqualsD) parts.Add("L=d");
        if (NEqualsD) parts.Add("n=d");
        if (LamTimesD is { } c) parts.Add($"lam={c:G4}/d");
        if (LrTimesD2 is { } r) parts.Add($"lr={r:G4}/d^2");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>Variable of a sweep.</summary>
public enum SweepVariable
{
    /// <summary>Prompt length L.</summary>
    L,
    /// <summary>Token dimension d.</summary>
    D,
    /// <summary>ICL Wishart degrees of freedom n.</summary>
    N,
    /// <summary>ICL spike strength theta.</summary>
    Theta,
}

/// <summary>A PCA sweep: the variable (L or D), its grid and the couplings applied at each point.</summary>
/// <param name="Over">Swept variable.</param>
/// <param name="Values">Grid.</param>
/// <param name="Coupling">Couplings to d (for a D sweep).</param>
public sealed record PcaSweepSpec(SweepVariable Over, IReadOnlyList<int> Values, SweepCoupling Coupling);

/// <summary>An ICL sweep: the variable, its grid and the couplings applied at each point.</summary>
/// <param name="Over">Swept variable.</param>
/// <param name="Values">Grid.</param>
/// <param name="Coupling">Couplings to d (for a D sweep).</param>
public sealed record IclSweepSpec(SweepVariable Over, IReadOnlyList<double> Values, SweepCoupling Coupling);

/// <summary>Mean and band over seeds of a scalar.</summary>
public static class SeedStatistics
{
    /// <summary>Number of bootstrap resamples of the seeds.</summary>
    public const int BootstrapResamples = 1000;

    /// <summary>Stream of the bootstrap generator under the run's root generator (far from the seed indices).</summary>
    public const ulong BootstrapStream = 0xB0075_7AB;

    /// <summary>(lo, hi) of the band around the mean of <paramref name="values"/>.</summary>
    /// <param name="values">One value per seed.</param>
    /// <param name="band">Band kind.</param>
    /// <param name="rng">Generator for the bootstrap resamples (unused for <see cref="BandKind.Sd"/>).</param>
    /// <param name="clipUnit">Clip the sd band to [0, 1].</param>
    public static (double Lo, double Hi) Band(IReadOnlyList<double> values, BandKind band, Rng rng,
        bool clipUnit = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        int s = values.Count;
        double m = values.Average();
        if (band == BandKind.Sd)
        {
            double sd = Std(values);
            return clipUnit ? (Math.Max(0, m - sd), Math.Min(1, m + sd)) : (m - sd, m + sd);
        }
        var means = new double[BootstrapResamples];
        for (int b = 0; b < means.Length; b++)
        {
            double acc = 0;
            for (int i = 0; i < s; i++) acc += values[rng.NextInt(s)];
            means[b] = acc / s;
        }
        Array.Sort(means);
        return (Quantile(means, 0.025), Quantile(means, 0.975));
    }

    /// <summary>Sample standard deviation (n - 1); 0 for fewer than two values.</summary>
    /// <param name="x">Values.</param>
    public static double Std(IReadOnlyList<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Count - 1));
    }

    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int i = (int)Math.Floor(pos);
        if (i >= sorted.Length - 1) return sorted[^1];
        return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
    }
}

/// <summary>Checks of a user-supplied token covariance.</summary>
public static class CovarianceChecks
{
    /// <summary>Throws a <see cref="NumericsException"/> unless <paramref name="sigma"/> is square, finite, symmetric
    /// (to 1e-10 relative to its largest entry) and positive definite (smallest eigenvalue > 0).</summary>
    /// <param name="sigma">Covariance.</param>
    /// <param name="name">Parameter name used in messages.</param>
    public static void RequireSymmetricPositiveDefinite(Matrix sigma, string name = "sigma")
    {
        ArgumentNullException.ThrowIfNull(sigma);
        NumericsException.ThrowIfNotSquare(sigma, name);
        NumericsException.ThrowIfNotFinite(sigma, name);
        int d = sigma.Rows;
        double scale = 0;
        foreach (var v in sigma.Data) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++)
                if (Math.Abs(sigma[i, j] - sigma[j, i]) > 1e-10 * Math.Max(scale, double.Epsilon))
                    throw new NumericsException(
                        $"{name} is not symmetric: entry ({i}, {j}) = {sigma[i, j]:G6} " +
                        $"but ({j}, {i}) = {sigma[j, i]:G6}.");
        var eig = SymmetricEigen.Eigenvalues(sigma);
        if (!(eig[0] > 0))
            throw new NumericsException($"{name} is not positive definite (smallest eigenvalue {eig[0]:G6}).");
    }
}
