using System.Text.Json;
using AttentionSpectra.Reporting;
namespace AttentionSpectra.Tests.Cli;

/// <summary>The main job end to end: `attnspec reproduce` on the built-in default writes every study's tables,
/// summaries and figures, in CSV when asked, and key numbers of each study agree with theory (docs/theory.md).
/// Summaries are read by property name anywhere in the JSON (case, '_' and '-' ignored), so reorganising them
/// does not break the checks.</summary>
public class ReproduceTests
{
    [Fact]
    public void ReproduceWritesTablesSummariesAndFiguresForAllThreeStudies()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attnspec-reproduce-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = CliRunner.Run(Path.GetTempPath(), TimeSpan.FromMinutes(10), "reproduce", "--out", dir, "--format", "csv", "--quiet");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.False(CliRunner.HasStackTrace(r.All), r.All);
            foreach (var study in new[] { "study-a", "study-b", "study-c" })
            {
                string sd = Path.Combine(dir, study);
                Assert.True(Directory.Exists(sd), $"{study} missing");
                var files = Directory.GetFiles(sd, "*", SearchOption.AllDirectories);
                var pngs = files.Where(f => f.EndsWith(".png")).ToArray();
                Assert.NotEmpty(pngs);
                foreach (var png in pngs)
                {
                    var head = File.ReadAllBytes(png).Take(8).ToArray();
                    Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, head);
                }
                Assert.Contains(files, f => f.EndsWith(".csv"));
                Assert.Contains(files, f => f.EndsWith(".json"));
                // Tables never carry silent NaN.
                foreach (var csv in files.Where(f => f.EndsWith(".csv")))
                    Assert.DoesNotContain("NaN", File.ReadAllText(csv));
            }
            CheckStudyA(Path.Combine(dir, "study-a"));
            CheckStudyB(Path.Combine(dir, "study-b"));
            CheckStudyC(Path.Combine(dir, "study-c"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static string Key(string name) => name.Replace("_", "").Replace("-", "").ToLowerInvariant();

    /// <summary>Every value of a property named <paramref name="name"/> anywhere below <paramref name="e"/>.</summary>
    private static IEnumerable<JsonElement> All(JsonElement e, string name)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
            {
                if (Key(p.Name) == Key(name)) yield return p.Value;
                foreach (var inner in All(p.Value, name)) yield return inner;
            }
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray())
                foreach (var inner in All(item, name)) yield return inner;
    }

    /// <summary>Objects anywhere below <paramref name="e"/> that have all the named properties.</summary>
    private static IEnumerable<JsonElement> ObjectsWith(JsonElement e, params string[] names)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            var keys = e.EnumerateObject().Select(p => Key(p.Name)).ToHashSet();
            if (names.All(n => keys.Contains(Key(n)))) yield return e;
            foreach (var p in e.EnumerateObject())
                foreach (var inner in ObjectsWith(p.Value, names)) yield return inner;
        }
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray())
                foreach (var inner in ObjectsWith(item, names)) yield return inner;
    }

    private static JsonElement Get(JsonElement e, string name) =>
        All(e, name).FirstOrDefault() is { ValueKind: not JsonValueKind.Undefined } v ? v
            : throw new Xunit.Sdk.XunitException($"summary has no '{name}'");

    /// <summary>The parsed summary (*.json) in <paramref name="dir"/> whose name contains <paramref name="hint"/> and
    /// which has every named property.</summary>
    private static JsonElement Summary(string dir, string hint, params string[] names)
    {
        foreach (var f in Directory.GetFiles(dir, "*.json", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).Contains(hint)).Order())
        {
            var root = JsonDocument.Parse(File.ReadAllText(f)).RootElement;
            if (names.All(n => All(root, n).Any())) return root;
        }
        throw new Xunit.Sdk.XunitException($"no summary '*{hint}*.json' with {string.Join(", ", names)} in {dir}");
    }

    /// <summary>Study A: R_inf at the critical points 0 and +-u_i/sqrt(lam lambda_i) is t and t - lambda_i; infinite-prompt
    /// GD from a small start reaches the top eigenvector (the other critical points are strict saddles).</summary>
    private static void CheckStudyA(string dir)
    {
        var land = Summary(dir, "landscape", "eigenvalues", "trace", "eigenIndex");
        var ev = Get(land, "eigenvalues").EnumerateArray().Select(x => x.GetDouble()).OrderDescending().ToArray();
        double t = Get(land, "trace").GetDouble();
        Assert.Equal(ev.Sum(), t, 9);
        var points = ObjectsWith(land, "eigenIndex", "risk").ToArray();
        Assert.True(points.Length >= 3, "landscape summary lists fewer than 3 critical points");
        foreach (var p in points)
        {
            int i = Get(p, "eigenIndex").GetInt32();
            double expected = i == 0 ? t : t - ev[i - 1];
            Assert.True(Math.Abs(Get(p, "risk").GetDouble() - expected) < 1e-9 * t, $"critical point {i}: risk {Get(p, "risk")} vs t - lambda_i {expected}");
        }
        double align = Get(Summary(dir, "infinite", "finalAlignmentMean"), "finalAlignmentMean").GetDouble();
        Assert.True(align > 0.99, $"infinite-prompt GD final alignment {align} (theory: converges to +-u1)");
    }

    /// <summary>Study B: alpha = w'Rw and kappa = |w|^2 of mean pooling for R_ts = r^|t-s|, the population threshold
    /// delta + sqrt(delta) and x* a root of the cubic; simulated top eigenvalues agree with theory.</summary>
    private static void CheckStudyB(string dir)
    {
        var phase = Summary(dir, "phase", "delta", "gamma", "xStar", "alpha", "kappa", "corr", "t");
        double delta = Get(phase, "delta").GetDouble(), gamma = Get(phase, "gamma").GetDouble(), xs = Get(phase, "xStar").GetDouble();
        Assert.Equal(delta + Math.Sqrt(delta), Get(phase, "populationThresholdRho").GetDouble(), 9);
        Assert.True(xs > 0 && Math.Abs(xs * xs * xs - (gamma + delta + gamma * delta) * xs - 2 * gamma * delta) < 1e-9, $"x* = {xs}");
        var corr = System.Text.RegularExpressions.Regex.Match(Get(phase, "corr").GetString() ?? "", @"^exp:([0-9.]+)$");
        Assert.True(corr.Success, $"reproduce's default correlation changed ({Get(phase, "corr")}); update this check");
        double r = double.Parse(corr.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int tt = Get(phase, "t").GetInt32();
        double alpha = 0;
        for (int a = 0; a < tt; a++) for (int b = 0; b < tt; b++) alpha += Math.Pow(r, Math.Abs(a - b)) / ((double)tt * tt);
        Assert.Equal(alpha, Get(phase, "alpha").GetDouble(), 9);
        Assert.Equal(1.0 / tt, Get(phase, "kappa").GetDouble(), 12);
        var schemes = ObjectsWith(Summary(dir, "pooling", "theoryTop", "simTopMean"), "theoryTop", "simTopMean", "simTopSe").ToArray();
        Assert.NotEmpty(schemes);
        foreach (var s in schemes)
        {
            double th = Get(s, "theoryTop").GetDouble(), m = Get(s, "simTopMean").GetDouble(), se = Get(s, "simTopSe").GetDouble();
            Assert.True(Math.Abs(m - th) < 4 * se + 0.03 * th, $"pooling top eigenvalue: simulated {m} +- {se} vs theory {th}");
        }
    }

    /// <summary>Study C: a head whose values are the kernel-PCA prediction up to column signs and a positive scale has
    /// linear and RBF CKA 1 (both are invariant to those), and the true eigenvectors satisfy K_c a = N lambda a.</summary>
    private static void CheckStudyC(string dir)
    {
        var kpca = Summary(dir, "synthetic-kpca", "linearCka", "rbfCka", "gammaResidualTrue");
        foreach (var metric in new[] { "linearCka", "rbfCka" })
            foreach (var stat in new[] { "min", "max" })
                Assert.Equal(1.0, Get(Get(kpca, metric), stat).GetDouble(), 9);
        Assert.True(Get(Get(kpca, "gammaResidualTrue"), "max").GetDouble() < 1e-10);
    }
}
