using AttentionSpectra.Cli;

return CliHost.Run(CliApp.BuildRoot(), args);
