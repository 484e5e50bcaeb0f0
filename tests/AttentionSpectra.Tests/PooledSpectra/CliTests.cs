using System.Text.Json;
using AttentionSpectra.Cli;
using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

public class CliTests
{
    [Fact]
    public void ReproduceWritesTablesSummariesAndFiguresWithTheoryThatMatchesTheEngine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-studyb-" + Guid.NewGuid().ToString("N"));
        try
        {
            RmtCommands.Reproduce(new RunContext(7, dir, OutputFormat.Csv, Quiet: true));
            var b = Path.Combine(dir, "study-b");
            foreach (var f in new[] { "spectrum.png", "spectrum-histogram.csv", "spectrum-summary.json", "phase.csv", "phase-outlier.png",
                                      "phase-overlap.png", "phase-summary.json", "pooling.csv", "pooling-overlap.png", "pooling-summary.json" })
                Assert.True(File.Exists(Path.Combine(b, f)) && new FileInfo(Path.Combine(b, f)).Length > 0, f);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "phase-summary.json")));
            var root = doc.RootElement;
            double delta = root.GetProperty("model").GetProperty("delta").GetDouble();
            double gamma = root.GetProperty("model").GetProperty("gamma").GetDouble();
            Assert.Equal(new SpikeTheory(delta, gamma).SampleThreshold, root.GetProperty("sample_threshold_rho").GetDouble(), 9);
            Assert.True(root.GetProperty("points_above_threshold").GetInt32() > 0);
            // the phase table has one row per point (header + 16)
            Assert.Equal(17, File.ReadAllLines(Path.Combine(b, "phase.csv")).Count(l => l.Length > 0));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("rmt", "spectrum", "--d", "1")]
    [InlineData("rmt", "phase", "--corr", "exp:2")]
    [InlineData("rmt", "pooling", "--weights", "nope")]
    [InlineData("rmt", "phase", "--points", "1")]
    public void BadOptionsGiveExitCodeTwo(params string[] args)
    {
        var root = new System.CommandLine.RootCommand();
        GlobalOptions.AddTo(root);
        foreach (var c in RmtCommands.Create()) root.Subcommands.Add(c);
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-studyb-err-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(2, CliHost.Run(root, [.. args, "--quiet", "--out", dir]));
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
    }
}
