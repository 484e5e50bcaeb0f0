using System.CommandLine;
using System.Globalization;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study A's option parsers: each flag's text becomes a typed value once, here, with errors naming the
/// flag.</summary>
public static class StudyAParse
{
    /// <summary>"unit" | "gaussian:SD" (entries iid N(0, SD^2)) | "scaled:S" (entries iid N(0, S^2/d)).</summary>
    /// <param name="text">Flag value.</param>
    /// <param name="flag">Flag name for messages.</param>
    public static InitLaw Init(string text, string flag = "--init")
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "unit") return InitLaw.Unit;
        var parts = t.Split(':');
        if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
        {
            if (!(s > 0)
                || !double.IsFinite(s)) throw new ArgumentException($"{flag}: the scale must be positive (got {parts[1]}).");
            if (parts[0] == "gaussian") return InitLaw.Gaussian(s);
            if (parts[0] == "scaled") return InitLaw.ScaledGaussian(s);
        }
        throw new ArgumentException($"{flag}: '{text}' is not unit, gaussian:SD or scaled:S.");
    }

    /// <summary>Comma-separated couplings: L=d, n=d, lam=C/d, lr=C/d^2.</summary>
    /// <param name="text">Flag value.</param>
    /// <param name="flag">Flag name for messages.</param>
    public static SweepCoupling Couple(string text, string flag = "--couple")
    {
        var c = new SweepCoupling();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var item = raw.Replace(" ", "", StringComparison.Ordinal);
            if (item is "L=d") { c = c with { LEqualsD = true }; continue; }
            if (item is "n=d") { c = c with { NEqualsD = true }; continue; }
            if (item.StartsWith("lam=", StringComparison.Ordinal) && item.EndsWith("/d", StringComparison.Ordinal))
            {
                c = c with { LamTimesD = Constant(item[4..^2], raw, flag) };
                continue;
            }
            if (item.StartsWith("lr=", StringComparison.Ordinal) && item.EndsWith("/d^2", StringComparison.Ordinal))
            {
                c = c with { LrTimesD2 = Constant(item[3..^4], raw, flag) };
                continue;
            }
            if (item is "none") continue;
            throw new ArgumentException($"{flag}: cannot read '{raw}' (use L=d, n=d, lam=C/d, lr=C/d^2, or none).");
        }
        return c;
    }

    private static double Constant(string s, string raw, string flag) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
            ? v : throw new ArgumentException($"{flag}: '{raw}' needs a positive constant C.");

    /// <summary>"per-figure" | "per-seed".</summary>
    /// <param name="text">Flag value.</param>
    public static SigmaPolicy Policy(string text) => text == "per-figure" ? SigmaPolicy.PerFigure : SigmaPolicy.PerSeed;

    /// <summary>"sd" | "bootstrap95".</summary>
    /// <param name="text">Flag value.</param>
    public static BandKind Band(string text) => text == "bootstrap95" ? BandKind.Bootstrap95 : BandKind.Sd;

    /// <summary>A covariance file (.npy or CSV), checked symmetric positive definite.</summary>
    /// <param name="path">File.</param>
    /// <param name="flag">Flag name for messages.</param>
    public static Matrix Sigma(string path, string flag = "--sigma")
    {
        var m = MatrixFile.Read(path);
        CovarianceChecks.RequireSymmetricPositiveDefinite(m, $"{flag} {Path.GetFileName(path)}");
        return m;
    }

    /// <summary>softmax | linear | infinite | linear-exact.</summary>
    /// <param name="s">Flag value.</param>
    public static TrainHead Head(string s) => s switch
    {
        "softmax" => TrainHead.Softmax,
        "linear" => TrainHead.Linear,
        "infinite" => TrainHead.Infinite,
        "linear-exact" => TrainHead.LinearExact,
        _ => throw new ArgumentException($"--head: unknown head '{s}' (use softmax, linear, infinite or linear-exact)."),
    };
}

/// <summary>The run options shared by Study A's training commands (train, sweep, figure, compare).</summary>
internal sealed class RunOptions
{
    public Option<string?> Init { get; } = new("--init")
    {
        Description = "Initial law: unit (each mu_j uniform on the unit sphere), gaussian:SD (entries iid N(0, SD^2)) " +
                      "or scaled:S (entries iid N(0, S^2/d); the historical default is scaled:0.01)",
    };

    public Option<string?> Sigma { get; } = new("--sigma")
    {
        Description = "Fixed token covariance (.npy or CSV, d x d, symmetric positive definite) shared by every run",
    };

    public Option<string?> SigmaPolicy { get; } = new Option<string?>("--sigma-policy")
    {
        Description = "per-seed: each seed draws its Sigma (ICL: spike v); per-figure: one shared by all seeds (the paper's)",
    }.AcceptOnlyFromAmong("per-figure", "per-seed");

    public Option<string?> Band { get; } = new Option<string?>("--band")
    {
        Description = "Band around the mean over seeds: sd (+- 1 sd) or bootstrap95 (95% bootstrap CI of the mean)",
    }.AcceptOnlyFromAmong("sd", "bootstrap95");

    public Option<int?> RecordEvery { get; } = new("--record-every") { Description = "Record the curves every K steps" };

    public Option<bool> PaperGradient { get; } = new("--paper-gradient")
    {
        Description = "linear-exact only: use the authors' hand-written gradient of R_lin,L (factor 4 instead of 2 on the " +
                      "lam^2 (L+2)(L+3) a b term)",
    };

    public IEnumerable<Option> All => [Init, Sigma, SigmaPolicy, Band, RecordEvery, PaperGradient];

    public void AddTo(Command c)
    {
        foreach (var o in All) c.Options.Add(o);
    }

    /// <summary>Applies the given flags to PCA options (D follows --sigma unless --d was given).</summary>
    public PcaTrainOptions Apply(PcaTrainOptions o, ParseResult pr, bool dGiven)
    {
        if (pr.GetValue(Init) is { } init) o = o with { Init = StudyAParse.Init(init) };
        if (pr.GetValue(Sigma) is { } path)
        {
            var s = StudyAParse.Sigma(path);
            if (dGiven && o.D != s.Rows) throw new ArgumentException($"--sigma is {s.Rows} x {s.Rows} but --d is {o.D}.");
            o = o with { Sigma = s, D = s.Rows };
        }
        if (pr.GetValue(SigmaPolicy) is { } pol) o = o with { SigmaPolicy = StudyAParse.Policy(pol) };
        if (pr.GetValue(Band) is { } band) o = o with { Band = StudyAParse.Band(band) };
        if (pr.GetValue(RecordEvery) is { } k) o = o with { RecordEvery = k };
        if (pr.GetValue(PaperGradient)) o = o with { LinearCrossTermFactor = 4 };
        return o;
    }

    /// <summary>Applies the given flags to ICL options (--sigma does not apply).</summary>
    public IclOptions Apply(IclOptions o, ParseResult pr)
    {
        if (pr.GetValue(Sigma) is not null) throw new ArgumentException("--sigma does not apply to ICL (each prompt draws its own Sigma).");
        if (pr.GetValue(Init) is { } init) o = o with { Init = StudyAParse.Init(init) };
        if (pr.GetValue(SigmaPolicy) is { } pol) o = o with { SpikePolicy = StudyAParse.Policy(pol) };
        if (pr.GetValue(Band) is { } band) o = o with { Band = StudyAParse.Band(band) };
        if (pr.GetValue(RecordEvery) is { } k) o = o with { RecordEvery = k };
        return o;
    }
}
