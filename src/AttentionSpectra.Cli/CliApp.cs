using System.CommandLine;
using AttentionSpectra.Cli.Commands;

namespace AttentionSpectra.Cli;

/// <summary>The `attnspec` command tree.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("attnspec — spectral analysis of attention: attention as PCA (pca, icl), random-matrix " +
                                   "theory of attention pooling (rmt), and a kernel-PCA audit of self-attention (kpca).");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        foreach (var c in PcaCommands.Create()) root.Subcommands.Add(c);
        foreach (var c in RmtCommands.Create()) root.Subcommands.Add(c);
        foreach (var c in KpcaCommands.Create()) root.Subcommands.Add(c);
        root.Subcommands.Add(MergeCommand.Create(BuildRoot));
        root.Subcommands.Add(SlurmCommand.Create(BuildRoot));
        return root;
    }
}
