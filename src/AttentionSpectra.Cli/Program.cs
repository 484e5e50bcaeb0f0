using System.CommandLine;
using AttentionSpectra.Cli;
using AttentionSpectra.Cli.Commands;

var root = new RootCommand("attnspec — spectral analysis of attention: attention as PCA (pca, icl), random-matrix " +
                           "theory of attention pooling (rmt), and a kernel-PCA audit of self-attention (kpca).");
GlobalOptions.AddTo(root);
root.Subcommands.Add(VersionCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
foreach (var c in PcaCommands.Create()) root.Subcommands.Add(c);
foreach (var c in RmtCommands.Create()) root.Subcommands.Add(c);
foreach (var c in KpcaCommands.Create()) root.Subcommands.Add(c);

return CliHost.Run(root, args);
