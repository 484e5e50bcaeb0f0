using System.CommandLine;
using AttentionSpectra.Cli;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Reliability;

/// <summary>Exit-code classification in process: a command whose action throws a given exception.</summary>
public class ExitCodeTests
{
    private static int RunThrowing(Func<Exception> make)
    {
        var root = new RootCommand("test");
        GlobalOptions.AddTo(root);
        var c = new Command("boom");
        c.SetAction((Func<ParseResult, int>)(_ => throw make()));
        root.Subcommands.Add(c);
        return CliHost.Run(root, ["boom"]);
    }

    [Fact]
    public void NonConvergenceIsANumericalFailure() =>
        Assert.Equal(CliHost.ExitNumerical, RunThrowing(() => new NonConvergenceException("Lanczos did not converge")));

    [Fact]
    public void BadNumericalInputIsAUsageError() =>
        Assert.Equal(CliHost.ExitUsage, RunThrowing(() => new NumericsException("matrix contains NaN")));

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(IndexOutOfRangeException))]
    [InlineData(typeof(OverflowException))]
    [InlineData(typeof(NullReferenceException))]
    public void BugsExitSeventy(Type t) =>
        Assert.Equal(CliHost.ExitInternal, RunThrowing(() => (Exception)Activator.CreateInstance(t, "bug")!));

    [Fact]
    public void ExceptionsFromParallelLoopsAreUnwrapped()
    {
        Assert.Equal(CliHost.ExitUsage, RunThrowing(() => new AggregateException(new ArgumentException("bad"))));
        Assert.Equal(CliHost.ExitNumerical, RunThrowing(() => new AggregateException(new OperationCanceledException(),
            new NonConvergenceException("no"))));
    }

    [Fact]
    public void OutOfMemoryIsReportedAsAnInputTooLarge() =>
        Assert.Equal(CliHost.ExitUsage, RunThrowing(() => new OutOfMemoryException()));

    [Fact]
    public void CancellationBySignalGivesTheSignalsExitCodeAndDiscardsStagedResults()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attnspec-cancel-" + Guid.NewGuid().ToString("N"));
        try
        {
            var root = new RootCommand("test");
            GlobalOptions.AddTo(root);
            var c = new Command("work");
            c.SetAction(pr =>
            {
                var ctx = RunContext.From(pr);
                var sink = ctx.Sink("w");
                sink.WriteJson("half", new { a = 1 });
                RunSession.Cancel(CliHost.ExitSigterm);
                Ui.WithProgress(ctx, p => p.Report(new ProgressUpdate("t", 1, 2)));
                return 0;
            });
            root.Subcommands.Add(c);
            Assert.Equal(CliHost.ExitSigterm, CliHost.Run(root, ["work", "--out", dir, "--quiet"]));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir, "w")));
            // the next run gets a fresh token
            Assert.False(RunSession.Token.IsCancellationRequested && RunSession.SignalExitCode == 0);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
