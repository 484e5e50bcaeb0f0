using System.Text.Json;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

public class ReproduceTests
{
    [Fact]
    public void ReproduceWritesTablesSummariesAndFiguresWithTheoryThatMatchesTheEngine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-studyb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = PooledExperiments.Reproduce(new Rng(7));
            PooledReports.Write(result, new OutputSink(Path.Combine(dir, "study-b"), OutputFormat.Csv));
            var b = Path.Combine(dir, "study-b");
            foreach (var f in new[] { "spectrum.png", "spectrum-histogram.csv", "spectrum-summary.json", "phase.csv",
                "phase-outlier.png",
                                      "phase-overlap.png", "phase-summary.json", "pooling.csv", "pooling-overlap.png",
                                          "pooling-summary.json" })
                Assert.True(File.Exists(Path.Combine(b, f)) && new FileInfo(Path.Combine(b, f)).Length > 0, f);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "phase-summary.json")));
            var root = doc.RootElement;
            double delta = root.GetProperty("model").GetProperty("delta").GetDouble();
            double gamma = root.GetProperty("model").GetProperty("gamma").GetDouble();
            Assert.Equal(new SpikeTheory(delta, gamma).SampleThreshold,
                root.GetProperty("sample_threshold_rho").GetDouble(), 9);
            Assert.True(root.GetProperty("points_above_threshold").GetInt32() > 0);
            Assert.Equal(result.Phase.Agreement.PointsAboveThreshold,
                root.GetProperty("points_above_threshold").GetInt32());
            // the phase table has one row per point (header + 16)
            Assert.Equal(17, File.ReadAllLines(Path.Combine(b, "phase.csv")).Count(l => l.Length > 0));
            // the typed result carries what the summary reports
            using var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "spectrum-summary.json")));
            Assert.Equal(result.Spectrum.Kolmogorov,
                spec.RootElement.GetProperty("empirical").GetProperty("kolmogorov").GetDouble());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
