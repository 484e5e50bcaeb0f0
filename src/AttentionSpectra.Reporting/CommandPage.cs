using System.Globalization;
using System.Text;

namespace AttentionSpectra.Reporting;

/// <summary>One parameter of a command run, as shown on the run's page.</summary>
/// <param name="Name">The parameter's name as the caller spells it.</param>
/// <param name="Value">The value given, or the default.</param>
/// <param name="IsDefault">True when the value is the default (not given).</param>
public sealed record RunParameter(string Name, string Value, bool IsDefault);

/// <summary>What a command's page shows besides what the run put into its sink (tables, figures, claims, files).
/// </summary>
/// <param name="Title">Page title, e.g. the command path.</param>
/// <param name="Parameters">Parameters of the run, including the seed.</param>
/// <param name="Summaries">Summary tables the command displayed; a table also written to the sink is shown once,
/// among these.</param>
/// <param name="Run">Command line, version, machine and timings.</param>
public sealed record CommandPageInfo(string Title, IReadOnlyList<RunParameter> Parameters,
    IReadOnlyList<ResultTable> Summaries, RunInfo Run);

public static partial class HtmlReport
{
    /// <summary>Rows of a data table shown on a command page; the file holds them all.</summary>
    public const int MaxPageRows = 100;

    /// <summary>Data tables with at most this many rows are shown expanded.</summary>
    private const int OpenRows = 25;

    /// <summary>File name of the page of the command <paramref name="runKey"/>: "rmt phase" gives
    /// <c>rmt-phase.html</c>.</summary>
    public static string PageFileName(string runKey) =>
        string.Join('-', runKey.Split(' ', StringSplitOptions.RemoveEmptyEntries)) + ".html";

    /// <summary>Write the page of the run whose results <paramref name="sink"/> holds, named after its
    /// <see cref="OutputSink.RunKey"/> (see <see cref="PageFileName"/>), into the sink (staged with the rest):
    /// parameters, the claims with verdicts (only when the run checked any), the summary and data tables (from the
    /// same <see cref="ResultTable"/>s as the files), the figures embedded, the other files linked, and the run.
    /// Everything above the run section depends only on the results, so identical runs give identical pages up to
    /// it.</summary>
    /// <returns>The page's path (recorded in the sink).</returns>
    public static string WriteCommandPage(OutputSink sink, CommandPageInfo info)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(info);
        string path = sink.PathFor(PageFileName(sink.RunKey ?? info.Title));
        var figures = sink.Written.Where(IsImage).Distinct()
            .Select(f => new ReportFigure(f, FigureCaption(f, info.Run.Seed))).ToList();
        var tableFiles = sink.Tables.Select(t => t.Path).ToHashSet();
        var files = sink.Written.Where(f => !IsImage(f) && !tableFiles.Contains(f)).Distinct()
            .Select(Path.GetFileName).OfType<string>().ToList();
        OutputSink.WriteAtomic(path, RenderCommandPage(info, sink.Claims, sink.Tables, figures, files));
        return sink.Record(path);
    }

    /// <summary>Render a command's page (see <see cref="WriteCommandPage"/>).</summary>
    /// <param name="info">Title, parameters, summary tables and run.</param>
    /// <param name="claims">Claims checked against theory; no verdict table when empty.</param>
    /// <param name="tables">Tables written, with their files.</param>
    /// <param name="figures">Figures, embedded in order.</param>
    /// <param name="files">Other files written (names relative to the page), linked.</param>
    public static string RenderCommandPage(CommandPageInfo info, IReadOnlyList<Claim> claims,
        IReadOnlyList<WrittenTable> tables, IReadOnlyList<ReportFigure> figures, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(info);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append($"<title>{H(info.Title)}</title><style>{Css}</style></head><body>\n");
        sb.Append($"<header><h1>{H(info.Title)}</h1>");
        if (claims.Count > 0)
        {
            int held = claims.Count(c => c.Verdict == Verdict.Held);
            int failed = claims.Count(c => c.Verdict == Verdict.DidNotHold);
            int notRun = claims.Count(c => c.Verdict == Verdict.NotRun);
            sb.Append($"<p class=\"tally\"><span class=\"held\">{held} held</span> · ");
            sb.Append($"<span class=\"failed\">{failed} did not hold</span> · ");
            sb.Append($"<span class=\"notrun\">{notRun} not run</span></p>");
        }
        var shown = info.Summaries.ToHashSet();
        var data = tables.Where(t => !shown.Contains(t.Table)).ToList();
        sb.Append("<nav><a href=\"#parameters\">Parameters</a>");
        if (claims.Count > 0) sb.Append("<a href=\"#claims\">Claims</a>");
        if (info.Summaries.Count + data.Count > 0) sb.Append("<a href=\"#tables\">Tables</a>");
        if (figures.Count > 0) sb.Append("<a href=\"#figures\">Figures</a>");
        if (files.Count > 0) sb.Append("<a href=\"#files\">Files</a>");
        sb.Append("<a href=\"#run\">Run</a></nav></header>\n<main>\n");

        sb.Append("<section id=\"parameters\"><h2>Parameters</h2><table class=\"params\"><tbody>");
        foreach (var p in info.Parameters)
            sb.Append($"<tr><th>{H(p.Name)}</th><td><code>{H(p.Value)}</code>" +
                      (p.IsDefault ? " <span class=\"default\">default</span>" : "") + "</td></tr>");
        sb.Append("</tbody></table></section>\n");
        if (claims.Count > 0)
        {
            sb.Append("<section id=\"claims\"><h2>Claims checked against theory</h2>");
            ClaimsTable(sb, claims);
            sb.Append("</section>\n");
        }
        if (info.Summaries.Count + data.Count > 0)
        {
            sb.Append("<section id=\"tables\"><h2>Tables</h2>\n");
            var fileOf = tables.GroupBy(t => t.Table).ToDictionary(g => g.Key, g => Path.GetFileName(g.First().Path));
            foreach (var t in info.Summaries) DataTable(sb, t, fileOf.GetValueOrDefault(t), true);
            foreach (var t in data) DataTable(sb, t.Table, Path.GetFileName(t.Path), t.Table.Rows.Count <= OpenRows);
            sb.Append("</section>\n");
        }
        if (figures.Count > 0)
        {
            sb.Append("<section id=\"figures\"><h2>Figures</h2>\n");
            foreach (var f in figures) FigureHtml(sb, f);
            sb.Append("</section>\n");
        }
        if (files.Count > 0)
        {
            sb.Append("<section id=\"files\"><h2>Other files</h2><ul>");
            foreach (var f in files) sb.Append($"<li><a href=\"{H(Uri.EscapeDataString(f))}\">{H(f)}</a></li>");
            sb.Append("</ul></section>\n");
        }
        RunTable(sb, info.Run);
        sb.Append("</main></body></html>\n");
        return sb.ToString();
    }

    /// <summary>Caption of a figure file on a page: its name in words and the seed.</summary>
    internal static string FigureCaption(string path, ulong seed) =>
        $"{Path.GetFileNameWithoutExtension(path).Replace('_', ' ').Replace('-', ' ')}; seed " +
        $"{seed.ToString(CultureInfo.InvariantCulture)}; parameters in the summary JSON beside it.";

    /// <summary>True for a PNG or SVG file name.</summary>
    internal static bool IsImage(string path) =>
        path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase);

    private static void DataTable(StringBuilder sb, ResultTable t, string? file, bool open)
    {
        string rows = t.Rows.Count == 1 ? "1 row" : $"{t.Rows.Count.ToString(CultureInfo.InvariantCulture)} rows";
        sb.Append(open ? "<details open>" : "<details>");
        sb.Append($"<summary><b>{H(t.Name)}</b> — {rows}");
        if (file != null) sb.Append($" · <a href=\"{H(Uri.EscapeDataString(file))}\">{H(file)}</a>");
        sb.Append("</summary><div class=\"scroll\"><table class=\"data\"><thead><tr>");
        foreach (var c in t.Columns) sb.Append($"<th>{H(c)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var r in t.Rows.Take(MaxPageRows))
        {
            sb.Append("<tr>");
            foreach (var c in r) sb.Append(c is double or float or int or long ? $"<td class=\"num\">{H(Cell(c))}</td>"
                : $"<td>{H(Cell(c))}</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table></div>");
        if (t.Rows.Count > MaxPageRows)
            sb.Append($"<p class=\"more\">… {(t.Rows.Count - MaxPageRows).ToString(CultureInfo.InvariantCulture)} " +
                      $"more rows in {H(file ?? "the table's file")}</p>");
        sb.Append("</details>\n");
    }

    private static string Cell(object? c) => c switch
    {
        double d => double.IsFinite(d) ? d.ToString("G6", CultureInfo.InvariantCulture) : N(d),
        float f => double.IsFinite(f) ? f.ToString("G6", CultureInfo.InvariantCulture) : N(f),
        bool b => b ? "true" : "false",
        _ => ResultTable.Format(c),
    };
}
