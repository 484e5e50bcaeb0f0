using AttentionSpectra.Cli;
using AttentionSpectra.Models;
using AttentionSpectra.Reporting;
using ScottPlot;

namespace AttentionSpectra.Tests.Reporting;

/// <summary>Every figure the commands make, judged as a paper figure: small runs of each command are made in this
/// process under <see cref="Figure.Observe"/>, and each figure they saved must have a title and axis labels, a data
/// area of a reasonable size, and no legend that hides a data point, a sample along a drawn line or a reference
/// line (<see cref="Figure.Layout"/>).</summary>
public class FigureLayoutTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnspec-figlayout-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the command in-process and returns the figures it made (at least one).</summary>
    private IReadOnlyList<Figure> Figures(params string[] args)
    {
        string o = Path.Combine(_dir, string.Join("-", args.Take(2)) + "-" + Guid.NewGuid().ToString("N")[..6]);
        using var seen = Figure.Observe();
        int rc = CliHost.Run(CliApp.BuildRoot(), [.. args, "--quiet", "--out", o]);
        Assert.True(rc == 0, $"attnspec {string.Join(' ', args)} exited {rc}");
        Assert.NotEmpty(seen.Figures);
        return seen.Figures;
    }

    /// <summary>The checks on one rendered figure; returns the problems found (empty when it passes).</summary>
    internal static IEnumerable<string> Problems(Figure f)
    {
        var l = f.Layout();
        string name = $"'{l.Title}'";
        if (string.IsNullOrWhiteSpace(l.Title)) yield return "a figure has no title";
        if (string.IsNullOrWhiteSpace(l.XLabel)) yield return $"{name} has no x-axis label";
        if (string.IsNullOrWhiteSpace(l.YLabel)) yield return $"{name} has no y-axis label";
        if (l.DataRect.Width < 0.45 * l.Width || l.DataRect.Height < 0.4 * l.Height)
            yield return $"{name}: data area {l.DataRect.Width:F0} x {l.DataRect.Height:F0} of {l.Width} x {l.Height}";
        if (l.Covered.Count > 0)
            yield return $"{name}: the legend covers {l.Covered.Count} data samples, e.g. " + string.Join(", ",
                l.Covered.GroupBy(c => c.Series).Select(g => $"{g.Key} at ({g.First().X:G3}, {g.First().Y:G3})"));
    }

    private static void Check(IEnumerable<Figure> figures)
    {
        var problems = figures.SelectMany(Problems).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCheckFindsALegendOverData()
    {
        // a legend in the upper right over a line through the upper right, then moved beside the plot
        var f = new Figure("t", "x", "y").Line([0, 1, 2, 3], [0, 1, 2, 3], "diagonal");
        f.Plot.Legend.Alignment = Alignment.UpperRight;
        f.Plot.ShowLegend();
        f.Plot.GetImage(400, 300);
        var l = f.Layout();
        Assert.NotNull(l.InnerLegend);
        Assert.Contains(l.Covered, c => c.Series == "diagonal" && c.X > 2);
        Assert.DoesNotContain(l.Covered, c => c.X < 1);
        var g = new Figure("t", "x", "y").Line([0, 1, 2, 3], [0, 1, 2, 3], "diagonal").LegendOutside();
        g.Plot.ShowLegend();
        g.Plot.GetImage(400, 300);
        Assert.Null(g.Layout().InnerLegend);
        Assert.Empty(g.Layout().Covered);
        Assert.Equal(1, g.Layout().LegendItems);
        // a reference line under the legend counts too; a figure without labels is reported
        var h = new Figure("", "x", "").VerticalLine(2.9, "edge");
        h.Line([0, 3], [0, 0]);
        h.Plot.Legend.Alignment = Alignment.LowerRight;
        h.Plot.ShowLegend();
        h.Plot.GetImage(400, 300);
        var p = Problems(h).ToList();
        Assert.Contains(p, s => s.Contains("edge"));
        Assert.Contains(p, s => s.Contains("no title"));
        Assert.Contains(p, s => s.Contains("no y-axis label"));
    }

    [Fact]
    public void ReproduceFiguresReadAsPaperFigures()
    {
        var figs = Figures("reproduce");
        // A: 7, B: 4, C: 3 per synthetic kind (+ 3 for the OCR audit when its model is installed)
        Assert.True(figs.Count >= 7 + 4 + 9, $"{figs.Count} figures");
        // the OCR audit's figures are checked when its model is installed (CI installs it)
        Assert.True(PaddleOcr.FindModel() is null || figs.Count >= 7 + 4 + 12, $"{figs.Count} figures");
        Check(figs);
    }

    [Fact]
    public void StudyAFiguresReadAsPaperFigures() => Check(
    [
        .. Figures("pca", "landscape", "--d", "6"),
        .. Figures("pca", "sweep", "--over", "d", "--values", "3,5", "--steps", "30", "--seeds", "3"),
        .. Figures("pca", "compare", "--steps", "30", "--seeds", "2", "--d", "4", "--batch", "8"),
        .. Figures("pca", "digits", "--steps", "20", "--batch", "8"),
        .. Figures("pca", "fit", "--data", "digits", "--rank", "2", "--steps", "20", "--batch", "16", "--lr", "0.001",
            "--surrogate"),
        .. Figures("icl", "sweep", "--over", "L", "--values", "3,5", "--steps", "20", "--seeds", "2", "--d", "3"),
        .. Figures("icl", "compare", "--steps", "20", "--seeds", "2", "--d", "3", "--batch", "8"),
    ]);

    private static readonly string[] SmallPooled = ["--d", "60", "--V", "120", "--N", "150", "--T", "4"];

    [Fact]
    public void StudyBFiguresReadAsPaperFigures() => Check(
    [
        .. Figures(["rmt", "spectrum", .. SmallPooled, "--snr", "4"]),
        .. Figures(["rmt", "phase", .. SmallPooled, "--points", "4", "--trials", "2"]),
        .. Figures(["rmt", "pooling", .. SmallPooled, "--trials", "2", "--signal-profile", "decay:2"]),
        // flat profile, iid: every scheme has the same α/κ, so one theory line and a note
        .. Figures(["rmt", "pooling", .. SmallPooled, "--trials", "2"]),
    ]);

    private static readonly string[] SmallHeads = ["--tokens", "24", "--dim", "12", "--head-dim", "4", "--trials", "2"];

    [Fact]
    public void StudyCFiguresReadAsPaperFigures() => Check(
    [
        .. Figures(["kpca", "synthetic", .. SmallHeads]),
        // aligned signs: every metric of the V = V_KPCA heads is 1, four coinciding lines
        .. Figures(["kpca", "synthetic", .. SmallHeads, "--cosine-signs", "aligned"]),
        .. Figures("kpca", "train", "--steps", "6", "--dim", "8", "--heads", "2", "--layers", "1", "--mlp-dim", "8",
            "--batch", "16", "--probe-every", "3", "--probe-images", "2"),
    ]);
}
