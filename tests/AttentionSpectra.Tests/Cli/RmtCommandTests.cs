using AttentionSpectra.Cli;
using AttentionSpectra.Cli.Commands;

namespace AttentionSpectra.Tests.Cli;

/// <summary>Study B's command-line contract (kept here so the study's own tests do not reference the CLI).</summary>
public class RmtCommandTests
{
    [Theory]
    [InlineData("rmt", "spectrum", "--d", "1")]
    [InlineData("rmt", "phase", "--corr", "exp:2")]
    [InlineData("rmt", "pooling", "--weights", "nope")]
    [InlineData("rmt", "phase", "--points", "1")]
    [InlineData("rmt", "pooling", "--signal-profile", "decay:-1")]
    [InlineData("rmt", "pooling", "--signal-profile", "front:x")]
    [InlineData("rmt", "spectrum", "--bins", "2")]
    public void BadOptionsGiveExitCodeTwo(params string[] args)
    {
        var root = new System.CommandLine.RootCommand();
        GlobalOptions.AddTo(root);
        foreach (var c in RmtCommands.Create()) root.Subcommands.Add(c);
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-studyb-err-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(2, CliHost.Run(root, [.. args, "--quiet", "--out", dir]));
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
    }

    [Fact]
    public void CorrelationFileThatIsNotPositiveSemidefiniteGivesExitCodeTwo()
    {
        var file = Path.Combine(Path.GetTempPath(), "attnspec-corr-" + Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(file, "1,0.9,-0.9\n0.9,1,0.9\n-0.9,0.9,1\n");
        var root = new System.CommandLine.RootCommand();
        GlobalOptions.AddTo(root);
        foreach (var c in RmtCommands.Create()) root.Subcommands.Add(c);
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-studyb-err-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(2, CliHost.Run(root, ["rmt", "pooling", "--T", "3", "--corr", file, "--quiet", "--out", dir]));
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
