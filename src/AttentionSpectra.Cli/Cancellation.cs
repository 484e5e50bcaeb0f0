using System.Runtime.InteropServices;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>Process-wide state of one CLI run: the cancellation token every command sees (through
/// <see cref="RunContext.Cancellation"/>), the signal that cancelled it, and the staged output sinks to commit on
/// success or discard on failure/cancellation.</summary>
public static class RunSession
{
    private static CancellationTokenSource _cts = new();
    private static readonly List<OutputSink> Sinks = [];
    private static int _signal;

    /// <summary>Token cancelled by SIGINT/SIGTERM (or <see cref="Cancel"/>).</summary>
    public static CancellationToken Token => _cts.Token;

    /// <summary>Exit code of the signal that cancelled the run (130 SIGINT, 143 SIGTERM), else 0.</summary>
    public static int SignalExitCode => Volatile.Read(ref _signal);

    /// <summary>Start a fresh run (new token, no sinks).</summary>
    public static void Begin()
    {
        lock (Sinks) Sinks.Clear();
        Volatile.Write(ref _signal, 0);
        if (_cts.IsCancellationRequested) _cts = new CancellationTokenSource();
    }

    /// <summary>Cancel the run on behalf of a signal; false when it was already cancelled.</summary>
    public static bool Cancel(int exitCode)
    {
        if (Interlocked.CompareExchange(ref _signal, exitCode, 0) != 0) return false;
        try { _cts.Cancel(); } catch (AggregateException) { }
        return true;
    }

    /// <summary>Track a staged sink so the run's outcome commits or discards it.</summary>
    public static OutputSink Register(OutputSink sink)
    {
        lock (Sinks) Sinks.Add(sink);
        return sink;
    }

    /// <summary>Commit every sink not yet committed (the command finished successfully).</summary>
    public static void CommitAll()
    {
        lock (Sinks) { foreach (var s in Sinks) s.Commit(); Sinks.Clear(); }
    }

    /// <summary>Discard every uncommitted sink (failure or cancellation); never throws.</summary>
    public static void DiscardAll()
    {
        OutputSink[] all;
        lock (Sinks) { all = [.. Sinks]; Sinks.Clear(); }
        foreach (var s in all)
            try { s.Dispose(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

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
        if (!RunSession.Cancel(code))
        {
            ExitNow(RunSession.SignalExitCode);
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
        RunSession.DiscardAll();
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
