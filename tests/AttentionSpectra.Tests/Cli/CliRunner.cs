using System.Diagnostics;

namespace AttentionSpectra.Tests.Cli;

/// <summary>Runs the real `attnspec` executable (built next to the tests) as a child process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
    }

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "attnspec.dll");

    public static Result Run(string workDir, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ATTNSPEC_DEBUG"] = "0";
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start attnspec");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"attnspec {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new Result(p.ExitCode, so.Result, se.Result);
    }

    public static Result Run(params string[] args) => Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), args);

    /// <summary>True when the output contains .NET stack-trace frames.</summary>
    public static bool HasStackTrace(string text) => System.Text.RegularExpressions.Regex.IsMatch(text, @"^\s+at \S+\(.*\)", System.Text.RegularExpressions.RegexOptions.Multiline);
}
