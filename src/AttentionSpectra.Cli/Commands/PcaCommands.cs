using System.CommandLine;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study A (attention as PCA): commands 'pca' and 'icl'.</summary>
public static class PcaCommands
{
    /// <summary>Top-level commands contributed by this study.</summary>
    public static IEnumerable<Command> Create()
    {
        yield break; // TODO(study): add commands
    }

    /// <summary>The study's part of 'attnspec reproduce': a small, fast default run (seconds to a minute).</summary>
    public static void Reproduce(RunContext ctx)
    {
        // TODO(study): implement
    }
}
