using AttentionSpectra.Cli;

return CliHost.RunProcess(CliApp.BuildRoot(), args);
