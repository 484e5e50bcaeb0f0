using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.VitTraining;

/// <summary>`attnspec kpca train` end to end on a tiny model: tables, figures and the exported model, which
/// `kpca audit` then reads; invalid settings are refused naming the flag.</summary>
public class CliTrainTests
{
    /// <summary>The documented default (docs/study-c-training.md: 95.3% test accuracy on the digits after 1500 steps,
    /// seed 20261123) run exactly as a user runs it, with no training option given: about 40 CPU-seconds.</summary>
    [Fact]
    public void DefaultDigitsRunReachesItsStatedAccuracy()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attnspec-train-" + Guid.NewGuid().ToString("N"));
        try
        {
            // 23 s on an idle 2-core machine; under `dotnet test --collect:"XPlat Code Coverage"` (CI) the child runs
            // the coverage-instrumented assemblies of the test folder: 7.5 min alone (2026-12-01), more beside the
            // other tests, which pushed it past the former 10-minute limit once
            var r = CliRunner.Run(Path.GetTempPath(), TimeSpan.FromMinutes(25), "kpca", "train", "--out", dir,
                "--format", "json", "--quiet");
            Assert.True(r.ExitCode == 0, r.All);
            using var doc = System.Text.Json.JsonDocument.Parse(
                File.ReadAllText(Path.Combine(dir, "kpca-train", "train-summary.json")));
            var rows = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(1500, rows[^1].GetProperty("step").GetInt32());
            Assert.Equal(0.1, rows[0].GetProperty("test_acc").GetDouble(), 0.05); // untrained: about chance
            double acc = rows[^1].GetProperty("test_acc").GetDouble();
            Assert.True(acc >= 0.95, $"default digits run: test accuracy {acc:P1} < 95%");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TrainWritesTablesFiguresAndAModelThatKpcaAuditReads()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attnspec-train-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = CliRunner.Run(Path.GetTempPath(), TimeSpan.FromMinutes(3), "kpca", "train", "--steps", "6",
                "--dim", "8", "--heads", "2", "--layers", "1", "--mlp-dim", "8", "--batch", "16", "--probe-every", "3",
                "--probe-images", "2", "--out", dir, "--format", "csv", "--quiet");
            Assert.True(r.ExitCode == 0, r.All);
            string sd = Path.Combine(dir, "kpca-train");
            string[] expected = ["train-heads.csv", "train-summary.csv", "train-jproj-terms.png",
                "train-linear-cka.png", "model.safetensors", "config.json", "model.onnx"];
            foreach (var f in expected)
                Assert.True(File.Exists(Path.Combine(sd, f)), $"{f} missing: {r.All}");
            // 3 probes (steps 0, 3, 6) x 1 block x 2 heads, plus the header.
            Assert.Equal(7, File.ReadAllLines(Path.Combine(sd, "train-heads.csv")).Length);
            var a = CliRunner.Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), "kpca", "audit", "--model",
                Path.Combine(sd, "model.safetensors"), "--random-inputs", "1", "--null-perms", "0", "--out", dir,
                "--quiet");
            Assert.True(a.ExitCode == 0, a.All);
            var bad = CliRunner.Run("kpca", "train", "--heads", "3", "--out", dir);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("--heads (3) must divide --dim (32)", bad.All);
            Assert.False(CliRunner.HasStackTrace(bad.All), bad.All);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
