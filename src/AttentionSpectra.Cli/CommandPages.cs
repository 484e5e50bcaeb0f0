using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>The HTML page every command that writes results leaves in each output folder it writes
/// (<c>COMMAND.html</c>, e.g. <c>rmt/rmt-phase.html</c>): written by <see cref="RunContext.Sink"/>'s commit hook
/// from what the command put into the sink (tables, figures, claims), the tables it displayed, its parameters and
/// the run. Staged with the results, so it is listed in the manifest, replaced by a rerun and never left by a
/// cancelled run.</summary>
public static class CommandPages
{
    /// <summary>Write the page of <paramref name="ctx"/>'s run into <paramref name="sink"/> (before it commits).
    /// The tables displayed since the previous page go on this one.</summary>
    public static string Write(RunContext ctx, OutputSink sink)
    {
        ResultTable[] shown;
        lock (ctx.Shown) { shown = [.. ctx.Shown]; ctx.Shown.Clear(); }
        var timings = new List<StepTiming>();
        lock (ctx.Timings) timings.AddRange(ctx.Timings);
        timings.Add(new StepTiming("total until this page was written",
            (DateTimeOffset.UtcNow - ctx.Started).TotalSeconds));
        var run = new RunInfo(ctx.CommandLine, VersionText, ctx.Seed, Machine, ctx.Started, timings);
        return HtmlReport.WriteCommandPage(sink, new CommandPageInfo("attnspec " + ctx.Command, ctx.Parameters, shown,
            run));
    }

    /// <summary>attnspec version and commit.</summary>
    public static string VersionText => $"{VersionCommand.Version} ({VersionCommand.Commit})";

    /// <summary>OS, cores and runtime.</summary>
    public static string Machine =>
        $"{Environment.OSVersion}, {Environment.ProcessorCount} cores, .NET {Environment.Version}";

    /// <summary>The command line of <paramref name="pr"/> as typed (tokens quoted where needed).</summary>
    public static string CommandLine(ParseResult pr) =>
        string.Join(' ', new[] { "attnspec" }.Concat(pr.Tokens.Select(t => Quote(t.Value))));

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:,=+@%".Contains(c)) ? s
            : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Options left off the page: where results go and how the job is split or displayed, which do not
    /// change the results.</summary>
    private static readonly string[] Omitted = [.. ShardOptions.SplitOptionNames, "--help", "--version"];

    /// <summary>The run's parameters: the seed and formats, the command's arguments, then every option of the
    /// command (given or default), in declaration order. Options that only say where results go or how the job is
    /// split are left out, so a merged sharded run shows the same parameters as a single-process one.</summary>
    public static IReadOnlyList<RunParameter> Parameters(ParseResult pr, RunContext ctx)
    {
        var list = new List<RunParameter>
        {
            new("--seed", ctx.Seed.ToString(CultureInfo.InvariantCulture), pr.GetResult(GlobalOptions.Seed) is not
                { Implicit: false }),
            new("--format", ctx.Format.ToString().ToLowerInvariant(), pr.GetResult(GlobalOptions.Format) is null),
            new("--figure-format", ctx.FigureFormat.ToString().ToLowerInvariant(),
                pr.GetResult(GlobalOptions.Figures) is null),
        };
        foreach (var a in pr.CommandResult.Command.Arguments)
            if (pr.GetResult(a) is { Tokens.Count: > 0 } ar)
                list.Add(new(a.Name, string.Join(' ', ar.Tokens.Select(t => t.Value)), false));
        foreach (var o in pr.CommandResult.Command.Options)
        {
            if (o is HelpOption || Omitted.Contains(o.Name) || o.Hidden) continue;
            var r = pr.GetResult(o);
            if (r is { Implicit: false })
                list.Add(new(o.Name, r.Tokens.Count == 0 ? "true" : string.Join(' ', r.Tokens.Select(t => t.Value)),
                    false));
            else
                list.Add(new(o.Name, o.HasDefaultValue ? Show(o.GetDefaultValue())
                    : o.ValueType == typeof(bool) ? "false" : "—", true));
        }
        if (pr.GetResult(GlobalOptions.MaxMemory) is { Implicit: false } mm)
            list.Add(new("--max-memory", string.Join(' ', mm.Tokens.Select(t => t.Value)), false));
        return list;
    }

    private static string Show(object? v) => v switch
    {
        null => "—",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => e.Cast<object?>().Any() ? string.Join(", ", e.Cast<object?>().Select(Show)) : "none",
        _ => v.ToString() ?? "",
    };
}
