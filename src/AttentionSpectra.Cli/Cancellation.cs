using System.Runtime.InteropServices;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>Process-wide state of one CLI run: the cancellation token every command sees (through
/// <see cref="RunContext.Cancellation"/>), the signal that cancelled it, and the staged output sinks to commit on
/// success or discard on failure/cancellation.</summary>
public static class RunSession
{
    /// <summary>State of one run. Held per asynchronous flow so that in-process runs (tests) do not share it; the
    /// signal handler acts on the most recent run of the process.</summary>
    private sealed class State
    {
        public readonly CancellationTokenSource Cts = new();
        public readonly List<OutputSink> Sinks = [];
        public int Signal;
        public int Reported;
    }

    private static readonly AsyncLocal<State?> Local = new();
    private static State _process = new();

    /// <summary>State for code outside any run (e.g. a library caller building a <see cref="RunContext"/> itself):
    /// never cancelled by a signal.</summary>
    private static readonly State Detached = new();

    private static State Current => Local.Value ?? Detached;

    /// <summary>Token cancelled by SIGINT/SIGTERM (or <see cref="Cancel"/>).</summary>
    public static CancellationToken Token => Current.Cts.Token;

    /// <summary>Exit code of the signal that cancelled the run (130 SIGINT, 143 SIGTERM), else 0.</summary>
    public static int SignalExitCode => Volatile.Read(ref Current.Signal);

    /// <summary>Start a fresh run (new token, no sinks) in the current flow.</summary>
    public static void Begin()
    {
        var s = new State();
        Local.Value = s;
        _process = s;
    }

    /// <summary>Cancel the current run as if <paramref name="exitCode"/>'s signal arrived; false when it was already
    /// cancelled.</summary>
    public static bool Cancel(int exitCode) => Cancel(Current, exitCode);

    /// <summary>Cancel the process's run (used by the signal handler, which runs outside the run's flow).</summary>
    internal static bool CancelProcess(int exitCode) => Cancel(_process, exitCode);

    /// <summary>Signal exit code of the process's run.</summary>
    internal static int ProcessSignalExitCode => Volatile.Read(ref _process.Signal);

    private static bool Cancel(State s, int exitCode)
    {
        if (Interlocked.CompareExchange(ref s.Signal, exitCode, 0) != 0) return false;
        try { s.Cts.Cancel(); } catch (AggregateException) { }
        return true;
    }

    /// <summary>Track a staged sink so the run's outcome commits or discards it.</summary>
    public static OutputSink Register(OutputSink sink)
    {
        var s = Current;
        lock (s.Sinks) s.Sinks.Add(sink);
        return sink;
    }

    /// <summary>Commit every sink not yet committed (the command finished successfully).</summary>
    public static void CommitAll()
    {
        var s = Current;
        lock (s.Sinks) { foreach (var k in s.Sinks) k.Commit(); s.Sinks.Clear(); }
    }

    /// <summary>Discard every uncommitted sink of the current run (failure or cancellation); never throws.</summary>
    public static void DiscardAll() => Discard(Current);

    /// <summary>Discard the process run's uncommitted sinks (signal handler).</summary>
    internal static void DiscardProcess() => Discard(_process);

    private static void Discard(State s)
    {
        OutputSink[] all;
        lock (s.Sinks) { all = [.. s.Sinks]; s.Sinks.Clear(); }
        foreach (var k in all)
            try { k.Dispose(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>True the first time it is called in a run: the run's one error line may be written.
    /// (Outside a run's flow, e.g. on the signal watchdog's thread, this is the process's run.)</summary>
    internal static bool ClaimReport() => Interlocked.Exchange(ref (Local.Value ?? _process).Reported, 1) == 0;

    /// <summary>Exit-code meaning of a signal.</summary>
    public static string SignalName(int exitCode) => exitCode == CliHost.ExitSigterm ? "SIGTERM" : "SIGINT";
}

/// <summary>SIGINT/SIGTERM handling: the first signal cancels <see cref="RunSession.Token"/> (long loops stop at their
/// next check or progress report); if the process is still running <see cref="GraceMilliseconds"/> later, or on a
/// second signal, it discards staged results, prints its one line, restores the terminal and exits 130/143.</summary>
public sealed class SignalHandling : IDisposable
{
    /// <summary>How long cooperative cancellation may take before the process exits anyway.</summary>
    public const int GraceMilliseconds = 700;

    private readonly List<PosixSignalRegistration> _regs = [];

    private SignalHandling()
    {
        if (OperatingSystem.IsWindows()) return;
        _regs.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
        _regs.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
    }

    /// <summary>Install the handlers for the lifetime of the returned object.</summary>
    public static SignalHandling Install() => new();

    private static void Handle(PosixSignalContext c)
    {
        c.Cancel = true;
        int code = c.Signal == PosixSignal.SIGTERM ? CliHost.ExitSigterm : CliHost.ExitSigint;
        if (!RunSession.CancelProcess(code))
        {
            ExitNow(RunSession.ProcessSignalExitCode);
            return;
        }
        new Thread(() =>
        {
            Thread.Sleep(GraceMilliseconds);
            ExitNow(code);
        }) { IsBackground = true, Name = "attnspec-cancel-watchdog" }.Start();
    }

    private static void ExitNow(int code)
    {
        RunSession.DiscardProcess();
        CliHost.ReportCancelled(code);
        Environment.Exit(code);
    }

    /// <summary>Remove the handlers.</summary>
    public void Dispose()
    {
        foreach (var r in _regs) r.Dispose();
        _regs.Clear();
    }
}
