using System.Text.RegularExpressions;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Reporting;

/// <summary>`attnspec reproduce` writes OUT/index.html: one self-contained page with a verdict row per claim and
/// every figure embedded; opened in headless Chromium, every image decodes and the console stays clean.</summary>
public class ReproduceReportBrowserTests
{
    [BrowserFact]
    public async Task ReproducePage_OpensInChromium_WithOneRowPerClaim_AndDecodedFigures()
    {
        string dir = Directory.CreateTempSubdirectory("attnspec-report").FullName;
        try
        {
            var r = CliRunner.Run(Path.GetTempPath(), TimeSpan.FromMinutes(10), "reproduce", "--out", dir, "--quiet");
            Assert.True(r.ExitCode == 0, r.All);
            string page = Path.Combine(dir, "index.html");
            string html = File.ReadAllText(page);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
            int verdicts = Regex.Matches(html, "class=\"verdict\"").Count;
            int pngs = new[] { "study-a", "study-b", "study-c" }
                .Sum(s => Directory.GetFiles(Path.Combine(dir, s), "*.png").Length);
            Assert.True(verdicts >= 12, $"only {verdicts} claims");
            var check = await Browser.CheckAsync(page, "reproduce-report");
            Assert.Equal(verdicts, check.ClaimRows);
            Assert.Equal(pngs, check.Images);
            Assert.Equal(0, check.BrokenImages);
            Assert.Empty(check.ConsoleErrors);
            Assert.Empty(check.FailedRequests);
            // the Study B phase claims are checked against theory, not just present
            Assert.Contains("Outlier location above the sample threshold", html);
        }
        finally { Directory.Delete(dir, true); }
    }
}
