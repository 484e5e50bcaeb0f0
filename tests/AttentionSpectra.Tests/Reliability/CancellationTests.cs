using AttentionSpectra.Reporting;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Reliability;

/// <summary>Ctrl-C / SIGTERM end to end: `rmt phase` with minutes of work is signalled mid-run; it must exit 130/143
/// within about a second with one stderr line, and leave no (half) result set of that run.</summary>
public class CancellationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-sig-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly string[] LongPhase =
        ["rmt", "phase", "--d", "500", "--V", "1000", "--N", "1500", "--points", "40", "--trials", "40"];

    private static readonly string[] SmallPhase =
        ["rmt", "phase", "--d", "40", "--V", "80", "--N", "100", "--points", "4", "--trials", "2", "--quiet"];

    [Theory]
    [InlineData(CliRunner.SIGINT, 130, false)]
    [InlineData(CliRunner.SIGTERM, 143, true)]
    public void ASignalStopsTheRunPromptlyAndLeavesNoHalfResultSet(int signal, int exitCode, bool quiet)
    {
        string outDir = Path.Combine(_dir, "out");
        // a complete earlier run of the same command in the same folder must survive the cancelled one
        var first = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), [.. SmallPhase, "--out", outDir]);
        Assert.True(first.ExitCode == 0, first.All);
        string rmt = Path.Combine(outDir, "rmt");
        var before = Directory.GetFiles(rmt).Select(f => (Path.GetFileName(f),
            File.ReadAllBytes(f).Length)).Order().ToArray();

        string[] args = quiet ? [.. LongPhase, "--quiet", "--out", outDir] : [.. LongPhase, "--out", outDir];
        using var run = CliRunner.Start(_dir, null, args);
        if (quiet) Thread.Sleep(3000);
        else Assert.NotNull(run.WaitForErrLine(l => l.StartsWith("[rmt phase]"), TimeSpan.FromSeconds(30)));
        Thread.Sleep(500);
        var sent = run.Elapsed;
        run.Signal(signal);
        var (code, stdout, at) = run.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.Equal(exitCode, code);
        Assert.True(at - sent < TimeSpan.FromSeconds(2.5), $"exited {(at - sent).TotalSeconds:F2} s after the signal");
        Assert.Empty(stdout);
        var errors = run.ErrLines.Select(l => l.Line).Where(l => !l.StartsWith('[')).ToArray();
        Assert.Single(errors);
        Assert.StartsWith("error: interrupted by " + (signal == CliRunner.SIGINT ? "SIGINT" : "SIGTERM"), errors[0]);
        if (quiet) Assert.Single(run.ErrLines);

        var after = Directory.GetFiles(rmt).Select(f => (Path.GetFileName(f),
            File.ReadAllBytes(f).Length)).Order().ToArray();
        Assert.Equal(before, after);
        Assert.Empty(Directory.GetDirectories(rmt));
        Assert.True(RunManifest.Load(rmt).Runs.Single(r => r.Command == "rmt phase").Complete);
    }

    [Fact]
    public void ARerunReplacesWhatTheEarlierRunOfThatCommandWrote()
    {
        string outDir = Path.Combine(_dir, "out");
        var a = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), [.. SmallPhase, "--format", "csv", "--out", outDir]);
        Assert.True(a.ExitCode == 0, a.All);
        var s = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), "rmt", "spectrum", "--d", "40", "--V", "80", "--N", "100",
            "--quiet",
            "--out", outDir);
        Assert.True(s.ExitCode == 0, s.All);
        string rmt = Path.Combine(outDir, "rmt");
        Assert.True(File.Exists(Path.Combine(rmt, "phase.csv")));
        var b = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), [.. SmallPhase, "--format", "json", "--out", outDir]);
        Assert.True(b.ExitCode == 0, b.All);
        Assert.False(File.Exists(Path.Combine(rmt, "phase.csv")));
        Assert.True(File.Exists(Path.Combine(rmt, "phase.json")));
        var m = RunManifest.Load(rmt);
        Assert.All(m.Runs, r => Assert.True(r.Complete));
        foreach (var f in m.Runs.Single(r => r.Command == "rmt spectrum").Files)
            Assert.True(File.Exists(Path.Combine(rmt, f)), f);
    }

    [Fact]
    public void CtrlCOnATerminalRestoresTheCursorAndPrintsOneLine()
    {
        if (!File.Exists("/usr/bin/script")) return; // util-linux `script` provides the pseudo-terminal
        string log = Path.Combine(_dir, "pty.txt"), outDir = Path.Combine(_dir, "out");
        string cmd = $"dotnet '{CliRunner.DllPath}' {string.Join(' ', LongPhase)} --out '{outDir}'; echo rc=$?";
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/script") { RedirectStandardInput = true,
            RedirectStandardOutput = true };
        foreach (var a in new[] { "-qfec", cmd, log }) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm-256color";
        // `script` runs the command with $SHELL (else /bin/sh). Ctrl-C reaches the whole foreground group, and dash
        // dies of it before `echo rc=$?`; bash waits for the child and only exits if the child died of the signal.
        psi.Environment["SHELL"] = "/bin/bash";
        psi.Environment.Remove("NO_COLOR");
        using var p = System.Diagnostics.Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60) && !(File.Exists(log)
            && ReadShared(log).Contains("rmt phase"))) Thread.Sleep(100);
        Thread.Sleep(500);
        p.StandardInput.Write('\u0003'); // Ctrl-C through the terminal's line discipline: SIGINT to the foreground job
        p.StandardInput.Flush();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "attnspec did not stop after Ctrl-C");
        string text = ReadShared(log);
        Assert.Contains("rc=130", text);
        int hidden = text.LastIndexOf("\u001b[?25l", StringComparison.Ordinal);
        Assert.True(hidden >= 0, "the progress display never hid the cursor (not a terminal?)");
        Assert.True(text.IndexOf("\u001b[?25h", hidden, StringComparison.Ordinal) > hidden, "cursor not restored");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "error:"));
        Assert.Contains("interrupted by SIGINT", text);
    }

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(f).ReadToEnd();
    }
}
