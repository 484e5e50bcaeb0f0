using System.CommandLine;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>Options every command understands (declared recursive on the root command).</summary>
public static class GlobalOptions
{
    /// <summary>--seed: master random seed.</summary>
    public static readonly Option<ulong> Seed = new("--seed")
    {
        Description = "Master random seed; every run with the same seed gives the same numbers.",
        DefaultValueFactory = _ => 20261123UL,
        Recursive = true,
    };

    /// <summary>--out: results directory (must not be empty).</summary>
    public static readonly Option<string> Out = MakeOut();

    /// <summary>--format: json or csv for result tables.</summary>
    public static readonly Option<OutputFormat> Format = new("--format")
    {
        Description = "Format of result tables: json (default) or csv (summaries are always JSON).",
        CustomParser = r => Parsing.Format(r),
        HelpName = "json|csv",
        Recursive = true,
    };

    /// <summary>--figure-format: png or svg for figures.</summary>
    public static readonly Option<FigureFormat> Figures = new("--figure-format")
    {
        Description = "Format of figures: png (default) or svg; the command's HTML page embeds them either way.",
        CustomParser = r => Parsing.FigureFormat(r),
        HelpName = "png|svg",
        Recursive = true,
    };

    /// <summary>--quiet: no progress display and no tables.</summary>
    public static readonly Option<bool> Quiet = new("--quiet")
    {
        Description = "Suppress progress display and tables (errors are still printed).",
        Recursive = true,
    };

    /// <summary>--max-memory: refuse work whose estimated memory exceeds this many bytes.</summary>
    public static readonly Option<long> MaxMemory = new("--max-memory")
    {
        Description = "Refuse work whose estimated memory exceeds SIZE (bytes, or with a K/M/G/T suffix; " +
                      "default: 75% of the memory available to the process).",
        CustomParser = r => Parsing.ByteSize(r),
        HelpName = "SIZE",
        Recursive = true,
    };

    private static Option<string> MakeOut()
    {
        var o = new Option<string>("--out")
        {
            Description = "Directory for results (tables, JSON summaries, figures, an HTML page per command).",
            DefaultValueFactory = _ => "out",
            HelpName = "DIR",
            Recursive = true,
        };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && string.IsNullOrWhiteSpace(r.Tokens[^1].Value))
                r.AddError("--out must name a directory, got an empty string.");
        });
        return o;
    }

    /// <summary>Add the global options to <paramref name="root"/> (each once).</summary>
    public static void AddTo(RootCommand root)
    {
        foreach (Option o in new Option[] { Seed, Out, Format, Figures, Quiet, MaxMemory })
            if (!root.Options.Contains(o)) root.Options.Add(o);
    }
}

/// <summary>What a command's action needs from the global options.</summary>
public sealed record RunContext(ulong Seed, string OutDir, OutputFormat Format, bool Quiet)
{
    /// <summary>Cancelled on SIGINT/SIGTERM; pass it to long library calls.</summary>
    public CancellationToken Cancellation { get; init; } = RunSession.Token;

    /// <summary>Memory limit for <see cref="Guards"/> (bytes).</summary>
    public long MaxMemoryBytes { get; init; } = Guards.DefaultMaxMemory;

    /// <summary>The command path of this run, e.g. "rmt phase" (names the run in each directory's manifest).</summary>
    public string Command { get; init; } = "attnspec";

    /// <summary>Format of the figures written (<c>--figure-format</c>).</summary>
    public FigureFormat FigureFormat { get; init; } = FigureFormat.Png;

    /// <summary>The command line as typed (shown on the run's page).</summary>
    public string CommandLine { get; init; } = "attnspec";

    /// <summary>The run's parameters: the seed, the table and figure formats and the command's own options.</summary>
    public IReadOnlyList<RunParameter> Parameters { get; init; } = [];

    /// <summary>When the command started.</summary>
    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Wall times of the run's computations (<see cref="Ui.WithProgress{T}"/>), for its page.</summary>
    public List<StepTiming> Timings { get; init; } = [];

    /// <summary>Tables displayed (<see cref="Ui.Table"/>) since the last page was written; the next page shows them.
    /// </summary>
    public List<ResultTable> Shown { get; init; } = [];

    /// <summary>The context of the command <paramref name="pr"/> invokes.</summary>
    public static RunContext From(ParseResult pr)
    {
        string outDir = pr.GetValue(GlobalOptions.Out) ?? "out";
        if (string.IsNullOrWhiteSpace(outDir))
            throw new ArgumentException("--out must name a directory, got an empty string.");
        var ctx = new RunContext(pr.GetValue(GlobalOptions.Seed), outDir, pr.GetValue(GlobalOptions.Format),
            pr.GetValue(GlobalOptions.Quiet))
        {
            MaxMemoryBytes = pr.GetValue(GlobalOptions.MaxMemory) is > 0 and var mm ? mm : Guards.DefaultMaxMemory,
            Command = CommandPath(pr),
            FigureFormat = pr.GetValue(GlobalOptions.Figures),
            CommandLine = CommandPages.CommandLine(pr),
        };
        return ctx with { Parameters = CommandPages.Parameters(pr, ctx) };
    }

    /// <summary>"rmt phase" for `attnspec rmt phase ...`.</summary>
    public static string CommandPath(ParseResult pr)
    {
        var names = new List<string>();
        for (var c = pr.CommandResult; c != null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            if (c.Parent != null) names.Add(c.Command.Name);
        names.Reverse();
        return names.Count == 0 ? "attnspec" : string.Join(' ', names);
    }

    /// <summary>Staged sink writing into OutDir/sub: nothing appears there until the run commits
    /// (<see cref="Ui.Files"/> or the end of the command); a cancelled or failed run leaves the folder as it was.
    /// Figures go out in <see cref="FigureFormat"/>; on commit the run's page (<c>COMMAND.html</c>, see
    /// <see cref="CommandPages"/>) is written with the rest.</summary>
    public OutputSink Sink(string sub)
    {
        var sink = OutputSink.Staged(Path.Combine(OutDir, sub), Format, Command);
        sink.FigureFormat = FigureFormat;
        sink.BeforeCommit = s => CommandPages.Write(this, s);
        return RunSession.Register(sink);
    }
}
