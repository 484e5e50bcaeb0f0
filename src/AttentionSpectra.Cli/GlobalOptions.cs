using System.CommandLine;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>Options every command understands (declared recursive on the root command).</summary>
public static class GlobalOptions
{
    public static readonly Option<ulong> Seed = new("--seed")
    {
        Description = "Master random seed; every run with the same seed gives the same numbers.",
        DefaultValueFactory = _ => 20261123UL,
        Recursive = true,
    };

    public static readonly Option<string> Out = new("--out")
    {
        Description = "Directory for results (tables, JSON summaries, PNG figures).",
        DefaultValueFactory = _ => "out",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Format = new("--format")
    {
        Description = "Format of result tables: json or csv (summaries are always JSON, figures PNG).",
        DefaultValueFactory = _ => OutputFormat.Json,
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet")
    {
        Description = "Suppress progress display and tables (errors are still printed).",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Seed);
        root.Options.Add(Out);
        root.Options.Add(Format);
        root.Options.Add(Quiet);
    }
}

/// <summary>What a command's action needs from the global options.</summary>
public sealed record RunContext(ulong Seed, string OutDir, OutputFormat Format, bool Quiet)
{
    public static RunContext From(ParseResult pr) =>
        new(pr.GetValue(GlobalOptions.Seed), pr.GetValue(GlobalOptions.Out) ?? "out", pr.GetValue(GlobalOptions.Format), pr.GetValue(GlobalOptions.Quiet));

    /// <summary>Sink writing into OutDir/sub (created on demand).</summary>
    public OutputSink Sink(string sub) => new(Path.Combine(OutDir, sub), Format);
}
