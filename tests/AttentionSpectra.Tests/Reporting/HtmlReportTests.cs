using AttentionSpectra.Reporting;

namespace AttentionSpectra.Tests.Reporting;

public class HtmlReportTests
{
    private static (string Dir, ReportSection[] Sections, RunInfo Run) Sample()
    {
        string dir = Directory.CreateTempSubdirectory("report").FullName;
        var sink = new OutputSink(dir);
        var f = new Figure("y = x² (test)", "x", "y");
        var xs = Enumerable.Range(0, 20).Select(i => i / 19.0).ToArray();
        f.Line(xs, xs.Select(x => x * x).ToArray(), "x²");
        f.Save(sink, "square");
        var sections = new[]
        {
            new ReportSection("Study X", "A section <with> markup to escape.",
            [
                Claim.FromZ("Monte-Carlo mean matches theory", 1.0, 1.02, 0.01),
                Claim.FromZ("A mean that is far off", 1.0, 1.5, 0.01),
                Claim.FromRelative("Edge within 2%", 4.0, 4.05, 0.02),
                Claim.NotRun("Needs a model", "model not installed"),
            ], [new ReportFigure(Path.Combine(dir, "square.png"), "A test figure, seed 1.")]),
        };
        var run = new RunInfo("attnspec test", "0.0.0", 1, "test machine", DateTimeOffset.UnixEpoch, [new StepTiming("all", 1.5)]);
        return (dir, sections, run);
    }

    [Fact]
    public void Verdicts_FollowTheirCriteria()
    {
        Assert.Equal(Verdict.Held, Claim.FromZ("a", 1.0, 1.029, 0.01).Verdict);
        Assert.Equal(Verdict.DidNotHold, Claim.FromZ("a", 1.0, 1.031, 0.01).Verdict);
        Assert.Equal(Verdict.DidNotHold, Claim.FromZ("a", 1.0, double.NaN, 0.01).Verdict);
        Assert.Equal(Verdict.Held, Claim.FromRelative("b", 2.0, 2.039, 0.02).Verdict);
        Assert.Equal(Verdict.DidNotHold, Claim.FromRelative("b", 2.0, 2.041, 0.02).Verdict);
        Assert.Equal(Verdict.Held, Claim.FromBound("c", 0.32, 0.31, atMost: true).Verdict);
        Assert.Equal(Verdict.DidNotHold, Claim.FromBound("c", 0.32, 0.33, atMost: true).Verdict);
    }

    [Fact]
    public void Page_IsSelfContained_AndEscapesText()
    {
        var (dir, sections, run) = Sample();
        try
        {
            string html = HtmlReport.Render("T", sections, run);
            Assert.Contains("data:image/png;base64,", html);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("http://", html);
            Assert.DoesNotContain("https://", html);
            Assert.Contains("A section &lt;with&gt; markup", html);
            Assert.Contains("2 held", html.Replace("<span class=\"held\">", ""));
        }
        finally { Directory.Delete(dir, true); }
    }

    [BrowserFact]
    public async Task Page_RendersInChromium_ImagesDecode_OneRowPerClaim()
    {
        var (dir, sections, run) = Sample();
        try
        {
            string page = HtmlReport.Write(new OutputSink(dir), "Report test", sections, run);
            var check = await Browser.CheckAsync(page, "html-report-sample");
            Assert.Equal(1, check.Images);
            Assert.Equal(0, check.BrokenImages);
            Assert.Empty(check.ConsoleErrors);
            Assert.Empty(check.FailedRequests);
            Assert.Equal(sections.Sum(s => s.Claims.Count), check.ClaimRows);
            Assert.True(new FileInfo(check.Screenshot).Length > 10_000);
        }
        finally { Directory.Delete(dir, true); }
    }
}
