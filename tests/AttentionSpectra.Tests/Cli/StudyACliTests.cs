using System.Text.Json;
using AttentionSpectra.Cli;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Cli;

/// <summary>Study A's commands run in-process through the CLI host, as a user types them: each flag must reach the
/// numbers (a covariance file sets the spectrum and the closed-form optimum, a unit init has norm 1, couplings tie
/// L, lam and lr to d, presets keep their settings under overrides, GD and SGD of a comparison share one Sigma), and
/// bad values exit 2.</summary>
public sealed class StudyACliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-studya-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static int Run(params string[] args) => CliHost.Run(CliApp.BuildRoot(), args);

    private string Out(string name) => Path.Combine(_dir, name);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private string SigmaFile(params double[] diagonal)
    {
        int d = diagonal.Length;
        string path = Path.Combine(_dir, $"sigma{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, Enumerable.Range(0, d).Select(i => string.Join(",",
            Enumerable.Range(0, d).Select(j => i == j ? diagonal[i].ToString("R",
                System.Globalization.CultureInfo.InvariantCulture) : "0"))));
        return path;
    }

    [Fact]
    public void PcaTrain_SigmaFileUnitInitAndRecordEvery_ReachTheNumbers()
    {
        string o = Out("train");
        Assert.Equal(0, Run("pca", "train", "--head", "infinite", "--steps", "50", "--seeds", "2", "--init", "unit",
            "--band", "bootstrap95", "--sigma-policy", "per-figure", "--record-every", "10", "--lr", "1e-2",
            "--lam", "0.5", "--sigma", SigmaFile(4, 2, 1, 0.5), "--out", o, "--quiet"));
        string pca = Path.Combine(o, "pca");
        foreach (var run in Json(Path.Combine(pca, "train_infinite_seeds.json")).EnumerateArray())
        {
            Assert.Equal(4, run.GetProperty("lambda1").GetDouble(), 12);
            Assert.Equal(2, run.GetProperty("lambda2").GetDouble(), 12);
            // R_inf's minimum: ||mu||^2 = 1/(lam lambda_1), risk tr Sigma - lambda_1 (docs/theory.md §A)
            Assert.Equal(1 / (0.5 * 4), run.GetProperty("target_norm_sq").GetDouble(), 12);
            Assert.Equal(7.5 - 4, run.GetProperty("optimal_risk").GetDouble(), 12);
        }
        var sigma0 = Npy.Read(Path.Combine(pca, "train_infinite_seed0_sigma.npy")).Data;
        Assert.Equal([4, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5], sigma0);
        Assert.Equal(sigma0, Npy.Read(Path.Combine(pca, "train_infinite_seed1_sigma.npy")).Data);
        for (int s = 0; s < 2; s++)
        {
            var init = Npy.Read(Path.Combine(pca, $"train_infinite_seed{s}_init.npy")).Data;
            Assert.Equal(1.0, Math.Sqrt(init.Sum(v => v * v)), 12);
        }
        var rows = Json(Path.Combine(pca, "train_infinite_alignment.json")).EnumerateArray().ToArray();
        Assert.Equal([0, 10, 20, 30, 40, 50], rows.Select(r => r.GetProperty("step").GetInt32()));
        foreach (var r in rows)
            Assert.InRange(r.GetProperty("mean").GetDouble(), r.GetProperty("band_lo").GetDouble() - 1e-12,
                r.GetProperty("band_hi").GetDouble() + 1e-12);
        var opts = Json(Path.Combine(pca, "train_infinite_summary.json")).GetProperty("options");
        Assert.Equal("Bootstrap95", opts.GetProperty("band").GetString());
        Assert.Equal("PerFigure", opts.GetProperty("sigmaPolicy").GetString());
        Assert.Equal("Unit", opts.GetProperty("init").GetProperty("kind").GetString());
    }

    [Fact]
    public void PcaTrain_PaperGradient_ChangesTheLinearExactTrajectory()
    {
        string[] common = ["pca", "train", "--head", "linear-exact", "--d", "3", "--L", "4", "--lam", "0.1",
            "--lr", "0.01", "--steps", "40", "--seeds", "1", "--quiet"];
        Assert.Equal(0, Run([.. common, "--out", Out("ours")]));
        Assert.Equal(0, Run([.. common, "--paper-gradient", "--out", Out("paper")]));
        string Summary(string o) => Path.Combine(o, "pca", "train_linearexact_summary.json");
        string Params(string o) => Path.Combine(o, "pca", "train_linearexact_seed0_params.npy");
        Assert.Equal(2, Json(Summary(Out("ours"))).GetProperty("options").GetProperty("linearCrossTermFactor")
            .GetDouble());
        Assert.Equal(4, Json(Summary(Out("paper"))).GetProperty("options").GetProperty("linearCrossTermFactor")
            .GetDouble());
        var a = Npy.Read(Params(Out("ours"))).Data;
        var b = Npy.Read(Params(Out("paper"))).Data;
        Assert.Equal(Npy.Read(Path.Combine(Out("ours"), "pca", "train_linearexact_seed0_init.npy")).Data,
            Npy.Read(Path.Combine(Out("paper"), "pca", "train_linearexact_seed0_init.npy")).Data);
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) > 1e-6, "--paper-gradient had no effect");
    }

    [Fact]
    public void PcaSweepOverD_CouplesLLamAndLrToD()
    {
        string o = Out("sweep");
        Assert.Equal(0, Run("pca", "sweep", "--head", "infinite", "--over", "d", "--values", "3,4", "--couple",
            "L=d, lam=2/d, lr=1/d^2", "--steps", "5", "--seeds", "1", "--out", o, "--quiet"));
        var points = Json(Path.Combine(o, "pca", "sweep_infinite_d_summary.json")).GetProperty("points")
            .EnumerateArray().ToArray();
        Assert.Equal(2, points.Length);
        foreach (var p in points)
        {
            double d = p.GetProperty("value").GetDouble();
            var opt = p.GetProperty("options");
            Assert.Equal(d, opt.GetProperty("d").GetDouble());
            Assert.Equal(d, opt.GetProperty("l").GetDouble());
            Assert.Equal(2 / d, opt.GetProperty("lam").GetDouble(), 15);
            Assert.Equal(1 / (d * d), opt.GetProperty("lr").GetDouble(), 15);
        }
    }

    [Fact]
    public void IclTrain_SpikePolicy_SharesOrRedrawsTheSpike()
    {
        string[] common = ["icl", "train", "--head", "infinite", "--d", "4", "--steps", "10", "--seeds", "2",
            "--init", "gaussian:0.5", "--record-every", "5", "--quiet"];
        Assert.Equal(0, Run([.. common, "--sigma-policy", "per-figure", "--out", Out("fig")]));
        Assert.Equal(0, Run([.. common, "--sigma-policy", "per-seed", "--out", Out("seed")]));
        double[] Spike(string o, int s) => Npy.Read(Path.Combine(o, "icl", $"icl_train_infinite_seed{s}_spike.npy"))
            .Data;
        Assert.Equal(Spike(Out("fig"), 0), Spike(Out("fig"), 1));
        Assert.NotEqual(Spike(Out("seed"), 0), Spike(Out("seed"), 1));
        foreach (var o in new[] { Out("fig"), Out("seed") })
            for (int s = 0; s < 2; s++) Assert.Equal(1.0, Math.Sqrt(Spike(o, s).Sum(v => v * v)), 12);
        var steps = Json(Path.Combine(Out("fig"), "icl", "icl_train_infinite_alignment.json")).EnumerateArray()
            .Select(r => r.GetProperty("step").GetInt32());
        Assert.Equal([0, 5, 10], steps);
    }

    [Fact]
    public void Presets_KeepTheirSettingsUnderOverrides()
    {
        string o = Out("fig");
        Assert.Equal(0, Run("pca", "figure", "fig6a", "--values", "3,4", "--steps", "5", "--seeds", "1", "--out", o,
            "--quiet"));
        foreach (var p in Json(Path.Combine(o, "pca", "fig6a_d_summary.json")).GetProperty("points").EnumerateArray())
        {
            double d = p.GetProperty("value").GetDouble();
            var opt = p.GetProperty("options");
            Assert.Equal(0.1 / d, opt.GetProperty("lam").GetDouble(), 15); // Figure 6a: lam = 0.1/d, lr = 0.5/d^2
            Assert.Equal(0.5 / (d * d), opt.GetProperty("lr").GetDouble(), 15);
            Assert.Equal(5, opt.GetProperty("steps").GetInt32());
        }
        Assert.Equal(0, Run("icl", "figure", "fig8b", "--values", "3,4", "--steps", "5", "--seeds", "1", "--out", o,
            "--quiet"));
        foreach (var p in Json(Path.Combine(o, "icl", "fig8b_d_summary.json")).GetProperty("points").EnumerateArray())
        {
            double d = p.GetProperty("value").GetDouble();
            var opt = p.GetProperty("options");
            Assert.Equal(d, opt.GetProperty("n").GetDouble()); // Figure 8b: n = d, lam = 0.1/d
            Assert.Equal(0.1 / d, opt.GetProperty("lam").GetDouble(), 15);
        }
        Assert.Equal(0, Run("pca", "figure", "--list", "--quiet"));
    }

    [Fact]
    public void Compare_GdAndSgdShareOneSigma()
    {
        string o = Out("cmp");
        Assert.Equal(0, Run("pca", "compare", "--steps", "5", "--seeds", "1", "--out", o, "--quiet"));
        string pca = Path.Combine(o, "pca");
        Assert.Equal(Npy.Read(Path.Combine(pca, "compare_gd_seed0_sigma.npy")).Data,
            Npy.Read(Path.Combine(pca, "compare_sgd_seed0_sigma.npy")).Data);
        Assert.True(File.Exists(Path.Combine(pca, "compare_overlay.png")));
        Assert.Equal(0, Run("icl", "compare", "--steps", "2", "--seeds", "1", "--out", o, "--quiet"));
        string icl = Path.Combine(o, "icl");
        Assert.Equal(Npy.Read(Path.Combine(icl, "compare_gd_seed0_spike.npy")).Data,
            Npy.Read(Path.Combine(icl, "compare_sgd_seed0_spike.npy")).Data);
    }

    [Fact]
    public void BadStudyAValues_ExitWith2()
    {
        string o = Out("bad");
        string[] train = ["pca", "train", "--head", "infinite", "--steps", "2", "--seeds", "1", "--quiet", "--out", o];
        Assert.Equal(2, Run([.. train, "--sigma", SigmaFile(2, 1, 1), "--d", "4"]));
        Assert.Equal(2, Run([.. train, "--sigma", SigmaFile(2, -1, 1)]));
        Assert.Equal(2, Run([.. train, "--init", "gaussian:-1"]));
        Assert.Equal(2, Run([.. train, "--init", "scaled:abc"]));
        Assert.Equal(2, Run([.. train, "--init", "uniform"]));
        string[] sweep = ["pca", "sweep", "--head", "infinite", "--over", "d", "--values", "3", "--steps", "2",
            "--seeds", "1", "--quiet", "--out", o];
        Assert.Equal(2, Run([.. sweep, "--couple", "lam=0/d"]));
        Assert.Equal(2, Run([.. sweep, "--couple", "lr=x/d^2"]));
        Assert.Equal(2, Run([.. sweep, "--couple", "L=2d"]));
        Assert.Equal(2, Run("icl", "train", "--sigma", SigmaFile(1, 1), "--quiet", "--out", o));
        Assert.Equal(2, Run("pca", "figure", "fig99", "--quiet", "--out", o));
        Assert.Equal(2, Run("icl", "figure", "fig1", "--quiet", "--out", o));
        Assert.Equal(2, Run("pca", "figure", "fig3b", "--d", "3", "--sigma", SigmaFile(1, 1), "--quiet", "--out", o));
        Assert.False(Directory.Exists(Path.Combine(o, "pca")) && Directory.EnumerateFiles(Path.Combine(o, "pca"),
            "*.npy").Any(), "a refused run wrote results");
    }
}
