namespace AttentionSpectra.Tests.Cli;

public class CliBasicsTests
{
    [Fact]
    public void HelpListsEveryTopLevelCommandAndGlobalOption()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var word in new[] { "version", "reproduce", "--seed", "--out", "--format" })
            Assert.Contains(word, r.StdOut);
    }

    [Fact]
    public void VersionPrintsSemverAndSimdCapabilities()
    {
        var r = CliRunner.Run("version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"attnspec \d+\.\d+\.\d+", r.StdOut);
        Assert.Contains("Vector512", r.StdOut);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("no-such-command")]
    [InlineData("version", "--seed", "not-a-number")]
    [InlineData("version", "--format", "xml")]
    public void BadUsageFailsWithMessageAndNoStackTrace(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(r.All));
        Assert.False(CliRunner.HasStackTrace(r.All), r.All);
    }
}
