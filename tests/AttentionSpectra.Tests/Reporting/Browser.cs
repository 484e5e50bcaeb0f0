using Microsoft.Playwright;

namespace AttentionSpectra.Tests.Reporting;

/// <summary>What a headless Chromium saw on a page.</summary>
public sealed record PageCheck(int Images, int BrokenImages, int ClaimRows, IReadOnlyList<string> ConsoleErrors,
    IReadOnlyList<string> FailedRequests, string Screenshot, string Title, int DataTables = 0);

/// <summary>Opens pages in Debian's Chromium (/usr/bin/chromium) through Playwright, with no browser download.</summary>
public static class Browser
{
    /// <summary>The system browser, when installed.</summary>
    public static string? Executable =>
        new[] { Environment.GetEnvironmentVariable("ATTNSPEC_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Where screenshots are kept (a test artefact).</summary>
    public static string ArtefactDir
    {
        get
        {
            string d = Environment.GetEnvironmentVariable("ATTNSPEC_TEST_ARTIFACTS")
                ?? Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            Directory.CreateDirectory(d);
            return d;
        }
    }

    /// <summary>Open <paramref name="htmlPath"/>, wait for it to load, and report images, console errors, the number
    /// of claim rows and data tables, and a full-page screenshot named <paramref name="name"/>.png.</summary>
    public static async Task<PageCheck> CheckAsync(string htmlPath, string name)
    {
        string exe = Executable ?? throw new InvalidOperationException("no chromium installed");
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new()
        {
            ExecutablePath = exe,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        var failed = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        page.RequestFailed += (_, r) => failed.Add(r.Url);
        await page.GotoAsync(new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        int images = await page.EvalOnSelectorAllAsync<int>("img", "els => els.length");
        int broken = await page.EvalOnSelectorAllAsync<int>("img",
            "els => els.filter(e => !e.complete || e.naturalWidth === 0).length");
        int rows = await page.EvalOnSelectorAllAsync<int>("table.claims tbody tr", "els => els.length");
        int tables = await page.EvalOnSelectorAllAsync<int>("table.data", "els => els.length");
        string shot = Path.Combine(ArtefactDir, name + ".png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        return new PageCheck(images, broken, rows, errors, failed, shot, await page.TitleAsync(), tables);
    }
}

/// <summary>A fact that needs the system Chromium: skipped with the reason only where none is installed and this is
/// not CI (CI installs it in .ci/run and must run these tests).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Skip when no browser is installed outside CI.</summary>
    public BrowserFactAttribute()
    {
        if (Browser.Executable == null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "Chromium not installed (apt-get install chromium); .ci/run installs it and runs this test.";
    }
}
