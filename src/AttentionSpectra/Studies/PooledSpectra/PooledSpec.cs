using System.Globalization;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Pooling weight family of a <see cref="PooledSpec"/>.</summary>
public enum WeightFamily
{
    /// <summary>w_t = 1/T.</summary>
    Mean,
    /// <summary>Top eigenvector of the signal covariance diag(a) R diag(a) (maximises α/κ).</summary>
    Optimal,
    /// <summary>Mean-pooled causal attention (<see cref="PoolingWeights.Harmonic"/>).</summary>
    Harmonic,
    /// <summary>User-given weights (<see cref="PooledSpec.CustomWeights"/>).</summary>
    Custom,
}

/// <summary>Positional correlation R of the signal variables, parsed once: a family (iid, exp:ρ, uniform:r) built
/// for any length T, or an explicit T×T matrix read from a file. <see cref="Label"/> is the text it was parsed
/// from (reports print it).</summary>
public sealed class CorrelationSpec
{
    private readonly Func<int, Matrix> build;

    private CorrelationSpec(string label, Func<int, Matrix> build, int? fixedLength)
    {
        Label = label; this.build = build; FixedLength = fixedLength;
    }

    /// <summary>Text the specification was parsed from, e.g. <c>exp:0.8</c> or a file path.</summary>
    public string Label { get; }

    /// <summary>T of an explicit matrix (null for a family, which fits any T).</summary>
    public int? FixedLength { get; }

    /// <summary>Independent positions (R = I).</summary>
    public static CorrelationSpec Iid { get; } = new("iid", Correlations.Independent, null);

    /// <summary>Parse <c>iid</c>, <c>exp:RHO</c>, <c>uniform:R</c>, or the path of an existing <c>.npy</c>/CSV
    /// file holding R (checked: square, symmetric, unit diagonal, positive semidefinite).</summary>
    /// <param name="spec">The specification text.</param>
    public static CorrelationSpec Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
            throw new ArgumentException("Empty correlation spec; use iid, exp:RHO, uniform:R or a matrix file.",
                nameof(spec));
        string s = spec.Trim();
        if (File.Exists(s) || LooksLikeFile(s)) return FromMatrix(MatrixFile.Read(s), s);
        Correlations.Parse(s, 2); // validate the family and its parameter now, not at first use
        return new CorrelationSpec(s, t => Correlations.Parse(s, t), null);
    }

    /// <summary>An explicit correlation matrix (validated now).</summary>
    /// <param name="r">T×T correlation matrix.</param>
    /// <param name="label">Label for reports.</param>
    public static CorrelationSpec FromMatrix(Matrix r, string label)
    {
        Correlations.Validate(r);
        var copy = r.Clone();
        return new CorrelationSpec(label, t =>
        {
            if (t != copy.Rows)
                throw new ArgumentException($"The correlation matrix is {copy.Rows}x{copy.Rows} but T = {t}.",
                    nameof(t));
            return copy.Clone();
        }, copy.Rows);
    }

    /// <summary>R for sequence length <paramref name="t"/>.</summary>
    /// <param name="t">Sequence length T.</param>
    public Matrix Build(int t) => build(t);

    /// <summary>True for the independent family (α = κ for every weight vector when the profile is flat).</summary>
    public bool IsIid => Label.Equals("iid", StringComparison.OrdinalIgnoreCase)
                         || Label.Equals("identity", StringComparison.OrdinalIgnoreCase);

    internal static bool LooksLikeFile(string s) =>
        s.IndexOfAny(['/', '\\']) >= 0 || s.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
        || s.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || s.EndsWith(".txt",
            StringComparison.OrdinalIgnoreCase)
        || s.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override string ToString() => Label;
}

/// <summary>Positional signal profile a_t: the signal coefficient at position t is a_t ξ_{n,t}, so the signal
/// covariance of a sequence is diag(a) R diag(a) and α = w' diag(a) R diag(a) w. <c>flat</c> (a = 1, the original
/// model), <c>decay:τ</c> (a_t = exp(−(t−1)/τ)), <c>front:k</c> (a_t = 1 for t ≤ k, else 0) or a file of T
/// values.</summary>
public sealed class SignalProfile
{
    private readonly Func<int, double[]>? build;

    private SignalProfile(string label, Func<int, double[]>? build, int? fixedLength)
    {
        Label = label; this.build = build; FixedLength = fixedLength;
    }

    /// <summary>Text the profile was parsed from.</summary>
    public string Label { get; }

    /// <summary>T of an explicit profile (null for a family).</summary>
    public int? FixedLength { get; }

    /// <summary>True for a = 1 (no positional signal profile).</summary>
    public bool IsFlat => build == null;

    /// <summary>a_t = 1.</summary>
    public static SignalProfile Flat { get; } = new("flat", null, null);

    /// <summary>a_t = exp(−(t−1)/τ), τ &gt; 0.</summary>
    /// <param name="tau">Decay length τ in positions.</param>
    public static SignalProfile Decay(double tau)
    {
        if (!(tau > 0) || !double.IsFinite(tau))
            throw new ArgumentException($"Decay length tau must be finite and > 0, got {tau}.", nameof(tau));
        return new SignalProfile(FormattableString.Invariant($"decay:{tau}"), t =>
        {
            var a = new double[t];
            for (int i = 0; i < t; i++) a[i] = Math.Exp(-i / tau);
            return a;
        }, null);
    }

    /// <summary>a_t = 1 for t ≤ k, 0 after (only the first k tokens carry the signal).</summary>
    /// <param name="k">Number of signal-carrying leading positions (≥ 1).</param>
    public static SignalProfile Front(int k)
    {
        if (k < 1) throw new ArgumentException($"Front length k must be >= 1, got {k}.", nameof(k));
        return new SignalProfile(FormattableString.Invariant($"front:{k}"), t =>
        {
            var a = new double[t];
            for (int i = 0; i < Math.Min(k, t); i++) a[i] = 1;
            return a;
        }, null);
    }

    /// <summary>Explicit amplitudes a_1..a_T (finite, not all zero).</summary>
    /// <param name="amplitudes">The values a_t.</param>
    /// <param name="label">Label for reports.</param>
    public static SignalProfile Explicit(IReadOnlyList<double> amplitudes, string label)
    {
        ArgumentNullException.ThrowIfNull(amplitudes);
        if (amplitudes.Count == 0) throw new ArgumentException("The signal profile is empty.", nameof(amplitudes));
        if (amplitudes.Any(x => !double.IsFinite(x)))
            throw new ArgumentException("The signal profile has non-finite values.", nameof(amplitudes));
        if (amplitudes.All(x => x == 0))
            throw new ArgumentException("The signal profile is all zero.", nameof(amplitudes));
        var a = amplitudes.ToArray();
        return new SignalProfile(label, t =>
        {
            if (t != a.Length)
                throw new ArgumentException($"The signal profile has {a.Length} values but T = {t}.", nameof(t));
            return (double[])a.Clone();
        }, a.Length);
    }

    /// <summary>Parse <c>flat</c>, <c>decay:τ</c>, <c>front:k</c> or the path of a file of a_t (text: one value per
    /// line or comma separated; <c>.npy</c>: a vector).</summary>
    /// <param name="spec">The profile text.</param>
    public static SignalProfile Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
            throw new ArgumentException("Empty signal profile; use flat, decay:TAU, front:K or a file.", nameof(spec));
        string s = spec.Trim();
        if (File.Exists(s) || CorrelationSpec.LooksLikeFile(s))
        {
            if (s.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                return Explicit(MatrixFile.Read(s).Data, s);
            if (!File.Exists(s)) throw new FileNotFoundException($"Signal profile file not found: {s}", s);
            return Explicit(PoolingWeights.ParseNumbers(File.ReadAllText(s), "Signal profile"), s);
        }
        var parts = s.ToLowerInvariant().Split(':');
        if (parts[0] == "flat" && parts.Length == 1) return Flat;
        if (parts.Length != 2)
            throw new ArgumentException($"Signal profile '{spec}': use flat, decay:TAU, front:K or a file.",
                nameof(spec));
        return parts[0] switch
        {
            "decay" when double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var tau)
                => Decay(tau),
            "front" when int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture,
                out var k) => Front(k),
            _ => throw new ArgumentException(
                $"Signal profile '{spec}': use flat, decay:TAU (TAU > 0), front:K (integer K >= 1) or a file.",
                    nameof(spec)),
        };
    }

    /// <summary>a_1..a_T (null for the flat profile).</summary>
    /// <param name="t">Sequence length T.</param>
    public double[]? Amplitudes(int t) => build?.Invoke(t);

    /// <inheritdoc/>
    public override string ToString() => Label;
}

/// <summary>Typed model specification of Study B (options parsed once): sizes, pooling weights, positional
/// correlation and signal profile. <see cref="Build"/> validates it into a <see cref="PooledModel"/>.</summary>
/// <param name="D">Embedding dimension d.</param>
/// <param name="V">Vocabulary size V.</param>
/// <param name="N">Number of pooled sequences N.</param>
/// <param name="T">Sequence length (ignored when custom weights are given: T is their number).</param>
/// <param name="Weights">Weight family.</param>
/// <param name="Tau">Inverse temperature of the harmonic weights.</param>
/// <param name="CustomWeights">Custom weights (required for <see cref="WeightFamily.Custom"/>).</param>
/// <param name="Corr">Positional correlation R.</param>
/// <param name="Profile">Signal profile a_t (null: flat).</param>
public sealed record PooledSpec(int D, int V, int N, int T, WeightFamily Weights, double Tau, double[]? CustomWeights,
    CorrelationSpec Corr, SignalProfile? Profile = null)
{
    /// <summary>Effective sequence length: the number of custom weights when given, else <see cref="T"/>.</summary>
    public int Length => CustomWeights?.Length ?? T;

    /// <summary>R at the effective length.</summary>
    public Matrix CorrelationMatrix() => Corr.Build(Length);

    /// <summary>a_t at the effective length (null when flat).</summary>
    public double[]? ProfileAmplitudes() => Profile?.Amplitudes(Length);

    /// <summary>The pooling weights of this specification for correlation <paramref name="r"/>.</summary>
    /// <param name="r">Positional correlation (used by the optimal weights).</param>
    public double[] WeightVector(Matrix r) => Weights switch
    {
        WeightFamily.Mean => PoolingWeights.Mean(Length),
        WeightFamily.Optimal => PoolingWeights.Optimal(r, ProfileAmplitudes()),
        WeightFamily.Harmonic => PoolingWeights.Harmonic(Length, Tau),
        WeightFamily.Custom => CustomWeights is { } c ? (double[])c.Clone()
            : throw new ArgumentException("Custom weights are required for the custom weight family.",
                nameof(CustomWeights)),
        _ => throw new ArgumentException($"Unknown weight family {Weights}.", nameof(Weights)),
    };

    /// <summary>Validate and build the model.</summary>
    public PooledModel Build()
    {
        var r = CorrelationMatrix();
        return new PooledModel(D, V, N, WeightVector(r), r, ProfileAmplitudes());
    }

    /// <summary>Short label of the weights, e.g. <c>mean</c> or <c>harmonic(tau=2)</c>.</summary>
    public string WeightLabel => Weights switch
    {
        WeightFamily.Harmonic => string.Create(CultureInfo.CurrentCulture, $"harmonic(tau={Tau:G3})"),
        _ => Weights.ToString().ToLowerInvariant(),
    };

    /// <summary>Label of the signal profile (<c>flat</c> when none).</summary>
    public string ProfileLabel => Profile?.Label ?? SignalProfile.Flat.Label;
}
