using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>The pooled-sequence model (docs/theory.md, Study B): dimension d, vocabulary size V, N sequences of
/// length T = |w|, positional correlation R of the signal variables, signal profile a (default 1), pooling weights w.
/// The token table is either drawn per trial (z_1..z_V iid N(0, I_d), centred) or a fixed embedding table
/// (<see cref="FixedTable"/>, centred once). Pooled row c_n = (Σ_t w_t a_t ξ_{n,t}) μ + Σ_t w_t z_{x_{n,t}};
/// S = C'C/N.</summary>
public sealed class PooledModel
{
    /// <summary>Embedding dimension d.</summary>
    public int D { get; }
    /// <summary>Vocabulary size V.</summary>
    public int V { get; }
    /// <summary>Number of pooled sequences N.</summary>
    public int N { get; }
    /// <summary>Pooling weights w (length T).</summary>
    public double[] Weights { get; }
    /// <summary>Positional correlation R (T×T, unit diagonal).</summary>
    public Matrix R { get; }
    /// <summary>Signal amplitudes a_t (null: all 1).</summary>
    public double[]? Profile { get; }
    /// <summary>Fixed, centred token table (V×d), or null for a fresh Gaussian table per trial.</summary>
    public Matrix? FixedTable { get; }
    /// <summary>Sequence length T.</summary>
    public int T => Weights.Length;
    /// <summary>α = w' diag(a) R diag(a) w (variance of the pooled signal coefficient).</summary>
    public double Alpha { get; }
    /// <summary>κ = |w|² (scale of the pooled noise).</summary>
    public double Kappa { get; }
    /// <summary>δ = d/V.</summary>
    public double Delta => (double)D / V;
    /// <summary>γ = d/N.</summary>
    public double Gamma => (double)D / N;

    /// <summary>Model with a Gaussian table drawn per trial.</summary>
    /// <param name="d">Dimension.</param>
    /// <param name="v">Vocabulary size.</param>
    /// <param name="n">Number of sequences.</param>
    /// <param name="weights">Pooling weights (length T).</param>
    /// <param name="r">Positional correlation (T×T).</param>
    /// <param name="profile">Signal amplitudes a_t (length T) or null for a flat profile.</param>
    public PooledModel(int d, int v, int n, double[] weights, Matrix r, double[]? profile = null)
        : this(d, v, n, weights, r, profile, null)
    {
    }

    private PooledModel(int d, int v, int n, double[] weights, Matrix r, double[]? profile, Matrix? centredTable)
    {
        if (d < 2) throw new ArgumentException($"Dimension d must be >= 2, got {d}.");
        if (v < 2) throw new ArgumentException($"Vocabulary size V must be >= 2, got {v}.");
        if (n < 2) throw new ArgumentException($"Number of sequences N must be >= 2, got {n}.");
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0) throw new ArgumentException("Pooling weights are empty.");
        if (weights.Any(x => !double.IsFinite(x)))
            throw new ArgumentException("Pooling weights contain non-finite values.");
        Correlations.Validate(r);
        if (r.Rows != weights.Length)
            throw new ArgumentException(
                $"R is {r.Rows}x{r.Rows} but there are {weights.Length} pooling weights (T must agree).");
        if ((long)n * d > 200_000_000L || (long)v * d > 200_000_000L)
            throw new ArgumentException(
                $"Problem too large (N·d = {(long)n * d}, V·d = {(long)v * d}); keep each below 2e8.");
        if (profile != null)
        {
            if (profile.Length != weights.Length)
                throw new ArgumentException(
                    $"The signal profile has {profile.Length} values but there are {weights.Length} pooling weights.",
                    nameof(profile));
            if (profile.Any(x => !double.IsFinite(x)))
                throw new ArgumentException("The signal profile has non-finite values.", nameof(profile));
        }
        D = d; V = v; N = n; Weights = (double[])weights.Clone(); R = r;
        Profile = profile == null ? null : (double[])profile.Clone();
        FixedTable = centredTable;
        Alpha = PoolingWeights.Alpha(SignalWeights, r);
        Kappa = PoolingWeights.Kappa(Weights);
        if (!(Kappa > 0)) throw new ArgumentException("Pooling weights are all zero (kappa = 0).");
        if (!(Alpha > 0))
            throw new ArgumentException($"w'Rw = {Alpha:G4}: the pooled signal vanishes for these weights.");
    }

    /// <summary>The same model with a fixed token table (V×d rows are embeddings; it is copied and centred, so
    /// the noise covariance of a pooled row is exactly κ·Z_c'Z_c/V).</summary>
    /// <param name="table">Embedding table, V rows of dimension d.</param>
    /// <param name="n">Number of sequences N.</param>
    /// <param name="weights">Pooling weights.</param>
    /// <param name="r">Positional correlation.</param>
    /// <param name="profile">Signal amplitudes or null.</param>
    public static PooledModel WithTable(Matrix table, int n, double[] weights, Matrix r, double[]? profile = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.AllFinite())
            throw new ArgumentException("The embedding table has non-finite entries.", nameof(table));
        return new PooledModel(table.Cols, table.Rows, n, weights, r, profile, Centre(table));
    }

    /// <summary>Column-centred copy of a table (rows minus their mean).</summary>
    /// <param name="table">V×d table.</param>
    public static Matrix Centre(Matrix table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var z = table.Clone();
        CentreInPlace(z);
        return z;
    }

    internal static void CentreInPlace(Matrix z)
    {
        int v = z.Rows, d = z.Cols;
        var mean = new double[d];
        for (int i = 0; i < v; i++) TensorPrimitives.Add<double>(mean, z.RowReadOnly(i), mean);
        TensorPrimitives.Multiply<double>(mean, 1.0 / v, mean);
        for (int i = 0; i < v; i++) TensorPrimitives.Subtract<double>(z.RowReadOnly(i), mean, z.Row(i));
    }

    /// <summary>a ∘ w, the weights seen by the signal (α = (a∘w)' R (a∘w)).</summary>
    public double[] SignalWeights
    {
        get
        {
            if (Profile == null) return Weights;
            var s = new double[T];
            for (int i = 0; i < T; i++) s[i] = Profile[i] * Weights[i];
            return s;
        }
    }

    /// <summary>Effective SNR ρ = α|μ|²/κ for a raw signal strength |μ|² = snr.</summary>
    public double Rho(double snr) => Alpha * snr / Kappa;
    /// <summary>Raw |μ|² giving effective SNR ρ.</summary>
    public double SnrForRho(double rho) => rho * Kappa / Alpha;
    /// <summary>Theory for the Gaussian-table model (δ = d/V, γ = d/N, scale κ).</summary>
    public SpikeTheory Theory() => new(Delta, Gamma, Kappa);
}
