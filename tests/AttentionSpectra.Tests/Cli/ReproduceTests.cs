using AttentionSpectra.Reporting;
namespace AttentionSpectra.Tests.Cli;

/// <summary>The main job end to end: `attnspec reproduce` on the built-in default writes every study's tables,
/// summaries and figures, in CSV when asked.</summary>
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
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
