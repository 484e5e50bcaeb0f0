using System.Text.RegularExpressions;
using System.Xml.Linq;
using AttentionSpectra.Reporting;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Reporting;

/// <summary>Every command that writes results leaves COMMAND.html in its output folder: parameters, claims with
/// verdicts (only where the command checks theory), the tables it wrote, its figures embedded, the run.</summary>
public class CommandPageTests
{
    private static readonly string[] Phase =
        ["rmt", "phase", "--d", "40", "--V", "80", "--N", "100", "--T", "4", "--points", "4", "--trials", "3"];

    private static readonly string[] Spectrum =
        ["rmt", "spectrum", "--d", "40", "--V", "80", "--N", "100", "--bins", "20"];

    private static void Ok(CliRunner.Result r) => Assert.True(r.ExitCode == 0, r.All);

    private static RunManifestEntry Entry(string dir, string command) =>
        RunManifest.Load(dir).Runs.Single(r => r.Command == command);

    [BrowserFact]
    public async Task CommandPages_OpenInChromium_WithDecodedFigures_TablesAndVerdictsOnlyWhereTheoryIsChecked()
    {
        string dir = Directory.CreateTempSubdirectory("attnspec-pages").FullName;
        try
        {
            // rmt phase checks the outlier and overlap against theory: one verdict row per claim
            Ok(CliRunner.Run([.. Phase, "--out", dir, "--quiet"]));
            string rmt = Path.Combine(dir, "rmt");
            var phase = Entry(rmt, "rmt phase");
            Assert.Contains("rmt-phase.html", phase.Files);
            string page = Path.Combine(rmt, "rmt-phase.html");
            string html = File.ReadAllText(page);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
            int rows = ((System.Text.Json.Nodes.JsonArray)System.Text.Json.Nodes.JsonNode.Parse(
                File.ReadAllText(Path.Combine(rmt, "phase.json")))!).Count;
            Assert.Contains($"<b>phase</b> — {rows} rows", html);   // the table the JSON came from
            var check = await Browser.CheckAsync(page, "command-page-rmt-phase");
            Assert.Equal("attnspec rmt phase", check.Title);
            Assert.Equal(phase.Files.Count(f => f.EndsWith(".png", StringComparison.Ordinal)), check.Images);
            Assert.True(check.Images >= 2);
            Assert.Equal(0, check.BrokenImages);
            Assert.Equal(2, check.ClaimRows);
            Assert.True(check.DataTables >= 2, $"{check.DataTables} data tables");
            Assert.Empty(check.ConsoleErrors);
            Assert.Empty(check.FailedRequests);

            // pca landscape has no theory check here: tables and figures, no verdict table
            Ok(CliRunner.Run(["pca", "landscape", "--d", "3", "--out", dir, "--quiet"]));
            string land = Path.Combine(dir, "pca", "pca-landscape.html");
            Assert.DoesNotContain("class=\"claims\"", File.ReadAllText(land));
            var check2 = await Browser.CheckAsync(land, "command-page-pca-landscape");
            Assert.Equal(2, check2.Images);
            Assert.Equal(0, check2.BrokenImages);
            Assert.Equal(0, check2.ClaimRows);
            Assert.True(check2.DataTables >= 3, $"{check2.DataTables} data tables");
            Assert.Empty(check2.ConsoleErrors);

            // an SVG page: the embedded SVG decodes in the browser too
            Ok(CliRunner.Run([.. Spectrum, "--figure-format", "svg", "--out", dir, "--quiet"]));
            var check3 = await Browser.CheckAsync(Path.Combine(rmt, "rmt-spectrum.html"),
                "command-page-rmt-spectrum-svg");
            Assert.Equal(1, check3.Images);
            Assert.Equal(0, check3.BrokenImages);
            Assert.Equal(1, check3.ClaimRows);
            Assert.Empty(check3.ConsoleErrors);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void FigureFormatSvg_WritesDeterministicValidSvg_ThePageEmbedsIt_AndAPngRerunReplacesIt()
    {
        string root = Directory.CreateTempSubdirectory("attnspec-svg").FullName;
        try
        {
            string a = Path.Combine(root, "a"), b = Path.Combine(root, "b");
            Ok(CliRunner.Run([.. Spectrum, "--figure-format", "svg", "--out", a, "--quiet"]));
            Ok(CliRunner.Run([.. Spectrum, "--figure-format", "svg", "--out", b, "--quiet"]));
            string rmt = Path.Combine(a, "rmt"), svg = Path.Combine(rmt, "spectrum.svg");
            Assert.False(File.Exists(Path.Combine(rmt, "spectrum.png")));
            var doc = XDocument.Load(svg);
            Assert.Equal(XName.Get("svg", "http://www.w3.org/2000/svg"), doc.Root!.Name);
            Assert.True(doc.Descendants().Count() > 20, "the SVG draws almost nothing");
            Assert.Contains(doc.Descendants(), e => e.Name.LocalName == "text" || e.Name.LocalName == "path");
            var bytes = File.ReadAllBytes(svg);
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(b, "rmt", "spectrum.svg")));   // deterministic

            string html = File.ReadAllText(Path.Combine(rmt, "rmt-spectrum.html"));
            var m = Regex.Match(html, "data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)");
            Assert.True(m.Success, "the page does not embed the SVG");
            Assert.Equal(bytes, Convert.FromBase64String(m.Groups[1].Value));
            Assert.Contains("<code>svg</code>", html);   // the parameter is on the page

            // a rerun in PNG replaces what the SVG run wrote; the manifest lists the new set with its page
            Ok(CliRunner.Run([.. Spectrum, "--out", a, "--quiet"]));
            Assert.False(File.Exists(svg));
            Assert.True(File.Exists(Path.Combine(rmt, "spectrum.png")));
            var entry = Entry(rmt, "rmt spectrum");
            Assert.True(entry.Complete);
            Assert.Contains("spectrum.png", entry.Files);
            Assert.Contains("rmt-spectrum.html", entry.Files);
            Assert.DoesNotContain("spectrum.svg", entry.Files);
            Assert.Contains("data:image/png;base64,", File.ReadAllText(Path.Combine(rmt, "rmt-spectrum.html")));

            var bad = CliRunner.Run([.. Spectrum, "--figure-format", "jpg", "--out", a]);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("--figure-format: 'jpg' is not a figure format", bad.StdErr);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Page_TruncatesLongTables_AndHasNoVerdictTableWithoutClaims()
    {
        var big = new ResultTable("big", "i", "x");
        for (int i = 0; i < HtmlReport.MaxPageRows + 7; i++) big.Add(i, i * 0.5);
        var run = new RunInfo("attnspec test", "0.0.0", 7, "machine", DateTimeOffset.UnixEpoch, []);
        var info = new CommandPageInfo("attnspec test", [new RunParameter("--n", "3", false)], [], run);
        string html = HtmlReport.RenderCommandPage(info, [], [new WrittenTable(big, "/x/big.json")], [], []);
        Assert.DoesNotContain("class=\"claims\"", html);
        Assert.Contains("… 7 more rows in big.json", html);
        Assert.Equal(HtmlReport.MaxPageRows, Regex.Matches(html, "<tr><td").Count);   // the rows shown
        string withClaim = HtmlReport.RenderCommandPage(info, [Claim.FromZ("z", 1, 1.01, 0.01)], [], [], []);
        Assert.Single(Regex.Matches(withClaim, "class=\"verdict\""));
        Assert.Contains("1 held", withClaim);
    }
}
