using System.Globalization;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Positional correlation matrices R (T x T, unit diagonal) of the signal variables ξ_{n,t}.</summary>
public static class Correlations
{
    /// <summary>R_ts = ρ^|t-s| (AR(1)/exponential decay), |ρ| &lt; 1 (ρ = 1 allowed: fully correlated).</summary>
    public static Matrix Exponential(int t, double rho)
    {
        CheckT(t);
        if (!(rho >= -1 && rho <= 1)) throw new ArgumentException($"Exponential correlation parameter must lie in [-1, 1], got {rho}.");
        var r = new Matrix(t, t);
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) r[i, j] = Math.Pow(rho, Math.Abs(i - j));
        return r;
    }

    /// <summary>R = (1 - r) I + r 11' (exchangeable), r in [-1/(T-1), 1].</summary>
    public static Matrix Uniform(int t, double r)
    {
        CheckT(t);
        double lo = t > 1 ? -1.0 / (t - 1) : -1;
        if (!(r >= lo && r <= 1)) throw new ArgumentException($"Uniform correlation must lie in [{lo:G4}, 1] for T = {t}, got {r}.");
        var m = new Matrix(t, t);
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) m[i, j] = i == j ? 1 : r;
        return m;
    }

    /// <summary>R = I (independent positions).</summary>
    /// <param name="t">T.</param>
    public static Matrix Independent(int t) { CheckT(t); return Matrix.Identity(t); }

    /// <summary>Parse "iid", "exp:0.9" or "uniform:0.3".</summary>
    public static Matrix Parse(string spec, int t)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("Empty correlation spec; use iid, exp:RHO or uniform:R.");
        var parts = spec.Trim().ToLowerInvariant().Split(':');
        double Param()
        {
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new ArgumentException($"Correlation spec '{spec}' needs a numeric parameter, e.g. exp:0.9 or uniform:0.3.");
            return v;
        }
        return parts[0] switch
        {
            "iid" or "identity" => parts.Length == 1 ? Independent(t) : throw new ArgumentException($"'iid' takes no parameter ('{spec}')."),
            "exp" or "exponential" => Exponential(t, Param()),
            "uniform" => Uniform(t, Param()),
            _ => throw new ArgumentException($"Unknown correlation family '{parts[0]}'; use iid, exp:RHO or uniform:R."),
        };
    }

    /// <summary>Validate a user-supplied R: square, symmetric, unit diagonal, finite, positive semidefinite.</summary>
    public static void Validate(Matrix r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (!r.IsSquare || r.Rows == 0) throw new ArgumentException($"R must be a non-empty square matrix, got {r.Rows}x{r.Cols}.");
        if (!r.AllFinite()) throw new ArgumentException("R contains non-finite entries.");
        for (int i = 0; i < r.Rows; i++)
        {
            if (Math.Abs(r[i, i] - 1) > 1e-9) throw new ArgumentException($"R must have unit diagonal; R[{i},{i}] = {r[i, i]}.");
            for (int j = 0; j < i; j++)
                if (Math.Abs(r[i, j] - r[j, i]) > 1e-9) throw new ArgumentException($"R must be symmetric; R[{i},{j}] != R[{j},{i}].");
        }
        var ev = SymmetricEigen.Eigenvalues(r);
        if (ev[0] < -1e-9 * r.Rows) throw new ArgumentException($"R must be positive semidefinite; smallest eigenvalue {ev[0]:G4}.");
    }

    /// <summary>A factor B with B B' = R (Cholesky when R is positive definite, otherwise the symmetric square
    /// root from the eigen-decomposition with negative round-off eigenvalues clipped).</summary>
    public static Matrix Factor(Matrix r)
    {
        try { return Cholesky.Factor(r); }
        catch (ArgumentException)
        {
            var e = SymmetricEigen.Decompose(r);
            int t = r.Rows;
            var b = new Matrix(t, t);
            for (int k = 0; k < t; k++)
            {
                double s = Math.Sqrt(Math.Max(0, e.Values[k]));
                for (int i = 0; i < t; i++) b[i, k] = e.Vectors[i, k] * s;
            }
            return b;
        }
    }

    private static void CheckT(int t)
    {
        if (t < 1) throw new ArgumentException($"Sequence length T must be >= 1, got {t}.");
    }
}

/// <summary>Pooling weight families w (length T) and the quantities α = w'Rw, κ = |w|².</summary>
public static class PoolingWeights
{
    /// <summary>Mean pooling w_t = 1/T.</summary>
    public static double[] Mean(int t)
    {
        if (t < 1) throw new ArgumentException($"Sequence length T must be >= 1, got {t}.");
        return Enumerable.Repeat(1.0 / t, t).ToArray();
    }

    /// <summary>Optimal weights (maximise α/κ = Rayleigh quotient): top eigenvector of R, sign fixed so that
    /// Σw &gt; 0 (or the first nonzero entry is positive), scaled to Σw = 1 when Σw is not ~0 (else unit norm).</summary>
    public static double[] Optimal(Matrix r)
    {
        Correlations.Validate(r);
        return TopDirection(r);
    }

    /// <summary>Optimal weights for a signal profile a: top eigenvector of the signal covariance diag(a) R diag(a)
    /// (maximises α/κ with α = w' diag(a) R diag(a) w), normalised as in <see cref="Optimal(Matrix)"/>. A null
    /// profile is the flat one.</summary>
    /// <param name="r">Positional correlation R (T×T).</param>
    /// <param name="profile">Signal amplitudes a_t (length T) or null.</param>
    public static double[] Optimal(Matrix r, IReadOnlyList<double>? profile)
    {
        if (profile == null) return Optimal(r);
        Correlations.Validate(r);
        return TopDirection(SignalCovariance(r, profile));
    }

    /// <summary>diag(a) R diag(a).</summary>
    /// <param name="r">Positional correlation R (T×T).</param>
    /// <param name="profile">Signal amplitudes a_t (length T).</param>
    public static Matrix SignalCovariance(Matrix r, IReadOnlyList<double> profile)
    {
        if (profile.Count != r.Rows)
            throw new ArgumentException($"The signal profile has {profile.Count} values but R is {r.Rows}x{r.Rows}.",
                nameof(profile));
        var k = new Matrix(r.Rows, r.Rows);
        for (int i = 0; i < r.Rows; i++)
            for (int j = 0; j < r.Rows; j++) k[i, j] = profile[i] * r[i, j] * profile[j];
        return k;
    }

    private static double[] TopDirection(Matrix r)
    {
        var top = SymmetricEigen.TopK(r, 1);
        var w = top.Vector(0);
        double s = w.Sum();
        if (Math.Abs(s) > 1e-8)
        {
            for (int i = 0; i < w.Length; i++) w[i] /= s;
        }
        else
        {
            int k = Array.FindIndex(w, v => Math.Abs(v) > 1e-12);
            if (k >= 0 && w[k] < 0) for (int i = 0; i < w.Length; i++) w[i] = -w[i];
        }
        return w;
    }

    /// <summary>Mean-pooled causal self-attention with scores (τ/d) e_t·e_s (derived):
    /// w_s = (1/T)[e^τ/(e^τ + s - 1) + Σ_{t&gt;s} 1/(e^τ + t - 1)], s = 1..T; τ = 0 gives (H_T - H_{s-1})/T.
    /// The weights sum to 1 (each causal query distributes unit attention).</summary>
    public static double[] Harmonic(int t, double tau)
    {
        if (t < 1) throw new ArgumentException($"Sequence length T must be >= 1, got {t}.");
        if (!double.IsFinite(tau) || tau > 700) throw new ArgumentException($"tau must be finite and <= 700, got {tau}.");
        double e = Math.Exp(tau);
        var w = new double[t];
        double tail = 0; // Σ_{t' > s} 1/(e^τ + t' - 1), accumulated from the end
        for (int s = t; s >= 1; s--)
        {
            w[s - 1] = (e / (e + s - 1) + tail) / t;
            tail += 1.0 / (e + s - 1);
        }
        return w;
    }

    /// <summary>Parse a custom weight list "0.5,0.3,0.2" (or whitespace/semicolon separated).</summary>
    public static double[] ParseList(string text)
    {
        var w = ParseNumbers(text, "Custom weights");
        if (w.All(v => v == 0)) throw new ArgumentException("Custom weights are all zero.");
        return w;
    }

    /// <summary>Parse finite numbers separated by commas, semicolons or whitespace; <paramref name="what"/> names
    /// the list in error messages.</summary>
    /// <param name="text">The list.</param>
    /// <param name="what">What the numbers are (for messages).</param>
    public static double[] ParseNumbers(string text, string what)
    {
        var parts = text.Split([',', ';', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{what}: the list is empty.");
        var w = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out w[i]) || !double.IsFinite(w[i]))
                throw new ArgumentException($"{what}: '{parts[i]}' (entry {i + 1}) is not a finite number.");
        }
        return w;
    }

    /// <summary>Custom weights from a literal list or, if <paramref name="spec"/> names an existing file, from that file.</summary>
    public static double[] Custom(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("Custom weights: give a list or a file.", nameof(spec));
        if (File.Exists(spec)) return ParseList(File.ReadAllText(spec));
        if (spec.IndexOfAny(['/', '\\']) >= 0 && !spec.Contains(',')) throw new FileNotFoundException($"Custom weight file not found: {spec}", spec);
        return ParseList(spec);
    }

    /// <summary>α = w'Rw.</summary>
    public static double Alpha(ReadOnlySpan<double> w, Matrix r)
    {
        if (r.Rows != w.Length || r.Cols != w.Length) throw new ArgumentException($"Weights have length {w.Length} but R is {r.Rows}x{r.Cols}.");
        var rw = r.Multiply(w);
        double a = 0;
        for (int i = 0; i < w.Length; i++) a += w[i] * rw[i];
        return a;
    }

    /// <summary>κ = |w|².</summary>
    public static double Kappa(ReadOnlySpan<double> w)
    {
        double k = 0;
        foreach (var v in w) k += v * v;
        return k;
    }
}
