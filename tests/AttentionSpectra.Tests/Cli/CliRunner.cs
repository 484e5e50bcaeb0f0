using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AttentionSpectra.Tests.Cli;

/// <summary>Runs the real `attnspec` executable (built next to the tests) as a child process.</summary>
public static partial class CliRunner
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed = default)
    {
        public string All => StdOut + StdErr;

        /// <summary>Non-empty stderr lines.</summary>
        public string[] ErrLines => StdErr.Split('\n',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "attnspec.dll");

    private static ProcessStartInfo StartInfo(string workDir, IReadOnlyDictionary<string, string>? env, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
                WorkingDirectory = workDir,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ATTNSPEC_DEBUG"] = "0";
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    public static Result Run(string workDir, TimeSpan timeout, IReadOnlyDictionary<string, string>? env,
        params string[] args)
    {
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(StartInfo(workDir, env, args))
            ?? throw new InvalidOperationException("could not start attnspec");
        p.StandardInput.Close();
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"attnspec {string.Join(' ', args)} did not finish within {timeout}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, so.Result, se.Result, sw.Elapsed);
    }

    public static Result Run(string workDir, TimeSpan timeout, params string[] args) => Run(workDir, timeout, null,
        args);

    public static Result Run(params string[] args) => Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), args);

    /// <summary>A running child: stderr lines are collected as they arrive (with their arrival time).</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _p;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(TimeSpan At, string Line)> _err = [];
        private readonly Task<string> _out;

        internal Running(ProcessStartInfo psi)
        {
            _p = Process.Start(psi) ?? throw new InvalidOperationException("could not start attnspec");
            _p.StandardInput.Close();
            _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_err) _err.Add((_clock.Elapsed, e.Data)); };
            _p.BeginErrorReadLine();
            _out = _p.StandardOutput.ReadToEndAsync();
        }

        public int Pid => _p.Id;
        public TimeSpan Elapsed => _clock.Elapsed;

        public (TimeSpan At, string Line)[] ErrLines { get { lock (_err) return [.. _err]; } }

        /// <summary>Wait until a stderr line matches, or the timeout passes; returns the line's arrival or null.
        /// </summary>
        public TimeSpan? WaitForErrLine(Func<string, bool> match, TimeSpan timeout)
        {
            while (_clock.Elapsed < timeout && !_p.HasExited)
            {
                foreach (var (at, line) in ErrLines) if (match(line)) return at;
                Thread.Sleep(20);
            }
            foreach (var (at, line) in ErrLines) if (match(line)) return at;
            return null;
        }

        public void Signal(int signal)
        {
            if (kill(_p.Id, signal) != 0) throw new InvalidOperationException($"kill({_p.Id}, {signal}) failed");
        }

        /// <summary>Wait for exit (killing the child after <paramref name="timeout"/>); exit code, stdout, elapsed.
        /// </summary>
        public (int ExitCode, string StdOut, TimeSpan At) WaitForExit(TimeSpan timeout)
        {
            if (!_p.WaitForExit(timeout))
            {
                _p.Kill(entireProcessTree: true);
                throw new TimeoutException($"attnspec did not exit within {timeout}");
            }
            var at = _clock.Elapsed;
            _p.WaitForExit();
            return (_p.ExitCode, _out.Result, at);
        }

        public void Dispose()
        {
            try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _p.Dispose();
        }
    }

    /// <summary>Start attnspec without waiting.</summary>
    public static Running Start(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args) =>
        new(StartInfo(workDir, env, args));

    public const int SIGINT = 2, SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary>True when the output contains .NET stack-trace frames.</summary>
    public static bool HasStackTrace(string text) => System.Text.RegularExpressions.Regex.IsMatch(text,
        @"^\s+at \S+\(.*\)", System.Text.RegularExpressions.RegexOptions.Multiline);

    /// <summary>Assert the error contract: the exit code, nothing on stdout, exactly one `error: ` line on stderr,
    /// optionally followed by one `hint: ` line, no stack trace and no .NET type names.</summary>
    public static void AssertOneError(Result r, int exitCode = 2)
    {
        string ctx = $"exit {r.ExitCode}\nstdout: {r.StdOut}\nstderr: {r.StdErr}";
        Assert.True(r.ExitCode == exitCode, ctx);
        Assert.True(r.StdOut.Length == 0, ctx);
        var lines = r.ErrLines;
        Assert.True(lines.Length is 1 or 2, ctx);
        Assert.StartsWith("error: ", lines[0]);
        if (lines.Length == 2) Assert.StartsWith("hint: ", lines[1]);
        Assert.False(HasStackTrace(r.StdErr), ctx);
        Assert.DoesNotMatch(@"System\.[A-Z]|`1|Exception\b", r.StdErr);
    }
}
