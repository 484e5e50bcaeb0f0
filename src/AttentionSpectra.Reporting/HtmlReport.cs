using System.Globalization;
using System.Net;
using System.Text;

namespace AttentionSpectra.Reporting;

/// <summary>Outcome of checking one claim of a paper against a run.</summary>
public enum Verdict
{
    /// <summary>The measured value agrees with the claim within the stated criterion.</summary>
    Held,
    /// <summary>The measured value disagrees with the claim beyond the stated criterion.</summary>
    DidNotHold,
    /// <summary>The check was not run (the reason says why).</summary>
    NotRun,
}

/// <summary>One claim of a paper, the theory value, what the run measured and the verdict.</summary>
/// <param name="Statement">The claim in words.</param>
/// <param name="Theory">The theory (or published) value, if the claim has one.</param>
/// <param name="Measured">The simulated or measured value.</param>
/// <param name="StandardError">Standard error of <paramref name="Measured"/>, when it is a Monte-Carlo mean.</param>
/// <param name="Criterion">The test applied, e.g. <c>|z| ≤ 3</c> or <c>rel. dev. ≤ 2%</c>.</param>
/// <param name="Score">The statistic compared with the criterion (z-score, relative deviation, ...).</param>
/// <param name="Verdict">Held, did not hold, or not run.</param>
/// <param name="Reason">Why it was not run, or a remark.</param>
public sealed record Claim(string Statement, double? Theory, double? Measured, double? StandardError, string Criterion,
    double? Score, Verdict Verdict, string? Reason = null)
{
    /// <summary>A Monte-Carlo claim: held when |measured − theory| ≤ <paramref name="zMax"/> standard errors
    /// (a zero standard error falls back to a relative tolerance of 1e-9).</summary>
    public static Claim FromZ(string statement, double theory, double measured, double se, double zMax = 3)
    {
        double z = se > 0 ? (measured - theory) / se : (Math.Abs(measured - theory) <= 1e-9 * Math.Max(1, Math.Abs(theory)) ? 0 : double.PositiveInfinity);
        bool ok = double.IsFinite(z) && Math.Abs(z) <= zMax;
        return new Claim(statement, theory, measured, se, $"|z| ≤ {zMax.ToString("G3", CultureInfo.InvariantCulture)}", z,
            ok ? Verdict.Held : Verdict.DidNotHold);
    }

    /// <summary>A claim with a relative tolerance: held when |measured/theory − 1| ≤ <paramref name="relTol"/>.</summary>
    public static Claim FromRelative(string statement, double theory, double measured, double relTol)
    {
        double dev = Math.Abs(measured / theory - 1);
        return new Claim(statement, theory, measured, null, $"rel. dev. ≤ {relTol.ToString("P1", CultureInfo.InvariantCulture)}",
            dev, double.IsFinite(dev) && dev <= relTol ? Verdict.Held : Verdict.DidNotHold);
    }

    /// <summary>A claim with an absolute tolerance: held when |measured − theory| ≤ <paramref name="absTol"/>.</summary>
    public static Claim FromAbsolute(string statement, double theory, double measured, double absTol)
    {
        double dev = Math.Abs(measured - theory);
        return new Claim(statement, theory, measured, null, $"|dev.| ≤ {absTol.ToString("G3", CultureInfo.InvariantCulture)}",
            dev, double.IsFinite(dev) && dev <= absTol ? Verdict.Held : Verdict.DidNotHold);
    }

    /// <summary>A one-sided claim: held when measured ≤ bound (<paramref name="atMost"/>) or ≥ bound.</summary>
    public static Claim FromBound(string statement, double bound, double measured, bool atMost, double? se = null)
    {
        bool ok = atMost ? measured <= bound : measured >= bound;
        return new Claim(statement, bound, measured, se, atMost ? "measured ≤ bound" : "measured ≥ bound",
            measured - bound, double.IsFinite(measured) && ok ? Verdict.Held : Verdict.DidNotHold);
    }

    /// <summary>A claim that was not checked in this run.</summary>
    public static Claim NotRun(string statement, string reason) =>
        new(statement, null, null, null, "—", null, Verdict.NotRun, reason);
}

/// <summary>A figure of the report: a PNG or SVG file and its caption (parameters and seed).</summary>
/// <param name="Path">The image file (embedded into the page).</param>
/// <param name="Caption">What it shows, with the parameters and seed.</param>
public sealed record ReportFigure(string Path, string Caption);

/// <summary>A section of the report (one study, or one command's results).</summary>
/// <param name="Title">Section heading.</param>
/// <param name="Summary">A short paragraph.</param>
/// <param name="Claims">The claims table.</param>
/// <param name="Figures">The figures.</param>
public sealed record ReportSection(string Title, string Summary, IReadOnlyList<Claim> Claims, IReadOnlyList<ReportFigure> Figures);

/// <summary>Timing of one step of the run.</summary>
/// <param name="Step">What ran.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record StepTiming(string Step, double Seconds);

/// <summary>The run behind a report.</summary>
/// <param name="Command">The command line.</param>
/// <param name="Version">attnspec version (and commit).</param>
/// <param name="Seed">Master seed.</param>
/// <param name="Machine">OS, cores, SIMD.</param>
/// <param name="Started">When the run started (UTC).</param>
/// <param name="Timings">Per-step wall times.</param>
public sealed record RunInfo(string Command, string Version, ulong Seed, string Machine, DateTimeOffset Started,
    IReadOnlyList<StepTiming> Timings);

/// <summary>Writes one self-contained HTML page (figures embedded as data URIs, inline CSS, no script, no network)
/// with per-section claim tables and verdicts, captioned figures, and the run's version, seed, machine and
/// timings.</summary>
public static partial class HtmlReport
{
    /// <summary>Render the page.</summary>
    /// <param name="title">Page title.</param>
    /// <param name="sections">Sections in order.</param>
    /// <param name="run">The run.</param>
    public static string Render(string title, IReadOnlyList<ReportSection> sections, RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(run);
        var sb = new StringBuilder();
        int held = sections.Sum(s => s.Claims.Count(c => c.Verdict == Verdict.Held));
        int failed = sections.Sum(s => s.Claims.Count(c => c.Verdict == Verdict.DidNotHold));
        int notRun = sections.Sum(s => s.Claims.Count(c => c.Verdict == Verdict.NotRun));
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append($"<title>{H(title)}</title><style>{Css}</style></head><body>\n");
        sb.Append($"<header><h1>{H(title)}</h1><p class=\"tally\"><span class=\"held\">{held} held</span> · ");
        sb.Append($"<span class=\"failed\">{failed} did not hold</span> · <span class=\"notrun\">{notRun} not run</span></p>");
        sb.Append("<nav>");
        for (int i = 0; i < sections.Count; i++) sb.Append($"<a href=\"#s{i}\">{H(sections[i].Title)}</a>");
        sb.Append("<a href=\"#run\">Run</a></nav></header>\n<main>\n");
        for (int i = 0; i < sections.Count; i++) Section(sb, sections[i], i);
        RunTable(sb, run);
        sb.Append("</main></body></html>\n");
        return sb.ToString();
    }

    /// <summary>Render the page and write it as <c>index.html</c> into <paramref name="sink"/>'s folder.</summary>
    /// <returns>The page's path.</returns>
    public static string Write(OutputSink sink, string title, IReadOnlyList<ReportSection> sections, RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(sink);
        string path = sink.PathFor("index.html");
        System.IO.Directory.CreateDirectory(sink.Directory);
        File.WriteAllText(path, Render(title, sections, run), new UTF8Encoding(false));
        return sink.Record(path);
    }

    private static void Section(StringBuilder sb, ReportSection s, int i)
    {
        sb.Append($"<section id=\"s{i}\"><h2>{H(s.Title)}</h2>");
        if (s.Summary.Length > 0) sb.Append($"<p>{H(s.Summary)}</p>");
        ClaimsTable(sb, s.Claims);
        foreach (var f in s.Figures) FigureHtml(sb, f);
        sb.Append("</section>\n");
    }

    private static void ClaimsTable(StringBuilder sb, IReadOnlyList<Claim> claims)
    {
        if (claims.Count == 0) return;
        sb.Append("<table class=\"claims\"><thead><tr><th>claim</th><th>theory</th><th>measured</th><th>s.e.</th>");
        sb.Append("<th>criterion</th><th>score</th><th>verdict</th></tr></thead><tbody>\n");
        foreach (var c in claims)
        {
            string cls = c.Verdict switch { Verdict.Held => "held", Verdict.DidNotHold => "failed", _ => "notrun" };
            string word = c.Verdict switch
            {
                Verdict.Held => "held", Verdict.DidNotHold => "did not hold", _ => "not run",
            };
            sb.Append($"<tr class=\"{cls}\"><td>{H(c.Statement)}");
            if (c.Reason != null) sb.Append($"<div class=\"reason\">{H(c.Reason)}</div>");
            sb.Append($"</td><td>{N(c.Theory)}</td><td>{N(c.Measured)}</td><td>{N(c.StandardError)}</td>");
            sb.Append($"<td>{H(c.Criterion)}</td><td>{N(c.Score)}</td><td class=\"verdict\">{word}</td></tr>\n");
        }
        sb.Append("</tbody></table>\n");
    }

    private static void FigureHtml(StringBuilder sb, ReportFigure f)
    {
        sb.Append("<figure>");
        if (File.Exists(f.Path))
        {
            string mime = f.Path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? "image/svg+xml" : "image/png";
            string data = Convert.ToBase64String(File.ReadAllBytes(f.Path));
            sb.Append($"<img src=\"data:{mime};base64,{data}\" alt=\"{H(f.Caption)}\">");
        }
        else sb.Append($"<div class=\"missing\">figure not written: {H(Path.GetFileName(f.Path))}</div>");
        sb.Append($"<figcaption><b>{H(Path.GetFileName(f.Path))}.</b> {H(f.Caption)}</figcaption></figure>\n");
    }

    private static void RunTable(StringBuilder sb, RunInfo run)
    {
        sb.Append("<section id=\"run\"><h2>Run</h2><table class=\"run\"><tbody>");
        sb.Append($"<tr><th>command</th><td><code>{H(run.Command)}</code></td></tr>");
        sb.Append($"<tr><th>version</th><td>{H(run.Version)}</td></tr>");
        sb.Append($"<tr><th>seed</th><td>{run.Seed.ToString(CultureInfo.InvariantCulture)}</td></tr>");
        sb.Append($"<tr><th>machine</th><td>{H(run.Machine)}</td></tr>");
        sb.Append($"<tr><th>started</th><td>{H(run.Started.ToString("u", CultureInfo.InvariantCulture))}</td></tr>");
        foreach (var t in run.Timings)
            sb.Append($"<tr><th>time: {H(t.Step)}</th><td>{t.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s</td></tr>");
        sb.Append("</tbody></table></section>\n");
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string N(double? v) => v switch
    {
        null => "—",
        double x when double.IsNaN(x) => "NaN",
        double x when double.IsPositiveInfinity(x) => "∞",
        double x when double.IsNegativeInfinity(x) => "−∞",
        double x => x.ToString("G5", CultureInfo.InvariantCulture),
    };

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
        header{background:#20304a;color:#fff;padding:1em 2em}header h1{margin:0 0 .3em 0;font-size:1.6em}
        nav a{color:#cfe0ff;margin-right:1.2em;text-decoration:none}main{padding:1em 2em;max-width:1200px}
        .tally span{font-weight:600}.tally .held{color:#8fe39a}.tally .failed{color:#ff9c9c}.tally .notrun{color:#ddd}
        section{margin-bottom:2.5em}h2{border-bottom:2px solid #20304a;padding-bottom:.2em}
        table{border-collapse:collapse;margin:1em 0;font-size:.92em;background:#fff}
        th,td{border:1px solid #d0d0d0;padding:.35em .6em;text-align:left;vertical-align:top}
        thead th{background:#eef2f8}td:nth-child(n+2):not(.verdict){font-variant-numeric:tabular-nums;white-space:nowrap}
        tr.held .verdict{background:#d9f5dd;color:#14621f;font-weight:600}
        tr.failed .verdict{background:#fde0e0;color:#9b1111;font-weight:600}
        tr.notrun .verdict{background:#eee;color:#555}.reason{color:#666;font-size:.9em;margin-top:.2em}
        figure{margin:1.5em 0;background:#fff;border:1px solid #ddd;padding:.8em;display:inline-block;max-width:100%}
        figure img{max-width:100%;height:auto;display:block}figcaption{font-size:.9em;color:#333;margin-top:.5em;max-width:900px}
        .missing{color:#9b1111}table.run th{background:#eef2f8;width:12em}
        table.params th{background:#eef2f8;font-weight:500}.default{color:#888;font-size:.85em}
        details{margin:.8em 0}summary{cursor:pointer}.scroll{overflow-x:auto;max-width:100%}
        table.data td.num{text-align:right}.more{color:#666;font-size:.9em}
        """;
}
