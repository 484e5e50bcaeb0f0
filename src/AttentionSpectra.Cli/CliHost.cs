using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Cli;

/// <summary>Parses and invokes the command tree and turns every outcome into one exit code and at most one stderr
/// line (plus an optional <c>hint:</c> line):
/// 0 success; 1 numerical failure (<see cref="NonConvergenceException"/>, <see cref="NotFiniteNumberException"/>);
/// 2 usage or input error (parse errors, <see cref="ArgumentException"/> incl. <see cref="NumericsException"/>,
/// invalid or unreadable files, refused size estimates, out of memory); 70 internal error (a bug);
/// 130/143 cancelled by SIGINT/SIGTERM. Stack traces only with ATTNSPEC_DEBUG=1.</summary>
public static partial class CliHost
{
    /// <summary>Exit code of a successful run.</summary>
    public const int ExitOk = 0;
    /// <summary>Exit code of a numerical failure (e.g. an iteration that did not converge).</summary>
    public const int ExitNumerical = 1;
    /// <summary>Exit code of a usage or input error.</summary>
    public const int ExitUsage = 2;
    /// <summary>Exit code of an internal error (EX_SOFTWARE).</summary>
    public const int ExitInternal = 70;
    /// <summary>Exit code after SIGINT (128 + 2).</summary>
    public const int ExitSigint = 130;
    /// <summary>Exit code after SIGTERM (128 + 15).</summary>
    public const int ExitSigterm = 143;

    private static bool Debug => Environment.GetEnvironmentVariable("ATTNSPEC_DEBUG") == "1";

    /// <summary>Process entry point: installs the signal handlers and, when stdout is not a terminal, holds stdout
    /// back until the command succeeds (so an error or a cancellation prints nothing on stdout).</summary>
    public static int RunProcess(RootCommand root, string[] args)
    {
        using var signals = SignalHandling.Install();
        if (args.Length > 0 && args[0] is "kpca" or "reproduce") QuietOnnxRuntime();
        var realOut = Console.Out;
        StringWriter? held = Console.IsOutputRedirected ? new StringWriter(CultureInfo.InvariantCulture) : null;
        if (held != null) Console.SetOut(TextWriter.Synchronized(held));
        int code;
        try { code = Run(root, args); }
        finally { if (held != null) Console.SetOut(realOut); }
        if (held != null && code == ExitOk)
        {
            realOut.Write(held.ToString());
            realOut.Flush();
        }
        return code;
    }

    /// <summary>OnnxRuntime logs warnings straight to stderr from native code, which would break the one-line error
    /// contract; create its environment with fatal-only logging before any session (its errors still arrive as
    /// exceptions).</summary>
    public static void QuietOnnxRuntime()
    {
        var options = new Microsoft.ML.OnnxRuntime.EnvironmentCreationOptions
        {
            logLevel = Microsoft.ML.OnnxRuntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, logId = "attnspec",
        };
        try { Microsoft.ML.OnnxRuntime.OrtEnv.CreateInstanceWithOptions(ref options); }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException) { } // already created: keep it
    }

    /// <summary>Parse and run <paramref name="args"/> against <paramref name="root"/>; returns the exit code.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        RunSession.Begin();
        try
        {
            CliHardening.Apply(root);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
            {
                var (msg, hint) = ParseErrorMessage(parse);
                ReportOnce(msg, hint);
                return ExitUsage;
            }
            int rc = parse.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
            if (RunSession.SignalExitCode != 0)
            {
                RunSession.DiscardAll();
                ReportCancelled(RunSession.SignalExitCode);
                return RunSession.SignalExitCode;
            }
            if (rc == ExitOk) RunSession.CommitAll();
            else RunSession.DiscardAll();
            return rc;
        }
        catch (Exception ex)
        {
            RunSession.DiscardAll();
            var (code, msg, hint) = Classify(ex);
            if (code is ExitSigint or ExitSigterm) { ReportCancelled(code); return code; }
            ReportOnce(msg, hint);
            if (Debug) Console.Error.WriteLine(ex.ToString());
            return code;
        }
    }

    /// <summary>Exit code, one-line message and optional hint for an exception escaping a command.</summary>
    public static (int Code, string Message, string? Hint) Classify(Exception ex)
    {
        ex = Unwrap(ex);
        string msg = OneLine(ex.Message);
        if (ex is OperationCanceledException && RunSession.SignalExitCode != 0)
            return (RunSession.SignalExitCode, "", null);
        return ex switch
        {
            UsageException u => (ExitUsage, msg, u.Hint),
            NonConvergenceException or NotFiniteNumberException => (ExitNumerical, "numerical failure: " + msg, null),
            OutOfMemoryException or InsufficientMemoryException =>
                (ExitUsage, "not enough memory for this input.", "reduce the sizes given on the command line"),
            _ when IsUserError(ex) => (ExitUsage, StripParameterSuffix(msg), null),
            _ => (ExitInternal, $"internal error ({ex.GetType().Name}): {msg}",
                Debug ? null : "this is a bug; set ATTNSPEC_DEBUG=1 for the stack trace"),
        };
    }

    /// <summary>True for exceptions meaning bad input or an unusable file (exit code 2).</summary>
    public static bool IsUserError(Exception ex) =>
        ex is ArgumentException or FormatException or InvalidDataException or IOException or UnauthorizedAccessException
            or NotSupportedException or System.Text.Json.JsonException
        || ex.GetType().FullName == "Microsoft.ML.OnnxRuntime.OnnxRuntimeException";

    private static Exception Unwrap(Exception ex)
    {
        while (true)
        {
            switch (ex)
            {
                case AggregateException ag:
                    var inner = ag.Flatten().InnerExceptions;
                    if (inner.Count == 0) return ex;
                    ex = inner.FirstOrDefault(e => e is not OperationCanceledException) ?? inner[0];
                    continue;
                case System.Reflection.TargetInvocationException { InnerException: { } ti }:
                    ex = ti; continue;
                case TypeInitializationException { InnerException: { } tie }:
                    ex = tie; continue;
                default:
                    return ex;
            }
        }
    }

    /// <summary>Print the cancellation line (once per process run).</summary>
    public static void ReportCancelled(int code)
    {
        Ui.RestoreTerminal();
        ReportOnce($"interrupted by {RunSession.SignalName(code)}; the results of this run were discarded.", null);
    }

    /// <summary>Write `error: message` (and `hint: ...`) to stderr unless a line was already written this run.
    /// </summary>
    public static void ReportOnce(string message, string? hint)
    {
        if (!RunSession.ClaimReport()) return;
        Ui.Error(message, hint);
    }

    private static (string Message, string? Hint) ParseErrorMessage(ParseResult parse)
    {
        string cmd = "attnspec " + RunContext.CommandPath(parse);
        if (cmd == "attnspec attnspec") cmd = "attnspec";
        string hint = $"run '{cmd} --help' for usage";
        var errors = parse.Errors;
        var unmatched = errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized command or argument",
            StringComparison.Ordinal));
        var best = unmatched ?? errors.FirstOrDefault(e => !e.Message.StartsWith("Required command",
            StringComparison.Ordinal))
                   ?? errors[0];
        if (best.Message.StartsWith("Required command", StringComparison.Ordinal))
        {
            var subs = parse.CommandResult.Command.Subcommands.Select(c => c.Name).ToList();
            return ($"'{cmd}' needs a command: {string.Join(", ", subs)}.", hint);
        }
        if (best == unmatched && unmatched != null)
        {
            string token = Regex.Match(unmatched.Message, "'(.*)'").Groups[1].Value;
            return (token.StartsWith('-') ? $"unknown option '{token}' for '{cmd}'."
                : $"unknown command or argument '{token}' for '{cmd}'.", hint);
        }
        var m = CannotParse().Match(best.Message);
        if (m.Success)
        {
            string token = m.Groups[1].Value, option = m.Groups[2].Value;
            var opt = (best.SymbolResult as OptionResult)?.Option
                ?? (best.SymbolResult?.Parent as OptionResult)?.Option;
            return ($"{option}: '{token}' is not {Describe(opt?.ValueType)}.", hint);
        }
        return (OneLine(best.Message), hint);
    }

    private static string Describe(Type? t)
    {
        t = t == null ? null : Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(int)) return "a whole number in [-2147483648, 2147483647]";
        if (t == typeof(long)) return "a whole number";
        if (t == typeof(ulong)) return "a non-negative whole number below 2^64";
        if (t == typeof(double) || t == typeof(float)) return "a number";
        if (t == typeof(bool)) return "true or false";
        if (t is { IsEnum: true }) return "one of " + string.Join(", ",
            Enum.GetNames(t).Select(n => n.ToLowerInvariant()));
        return "a valid value";
    }

    [GeneratedRegex("^Cannot parse argument '(.*)' for option '(.*)' as expected type", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    /// <summary>Collapse a message to one line.</summary>
    public static string OneLine(string s) => Regex.Replace(s, @"\s*[\r\n]+\s*", " ").Trim();

    private static string StripParameterSuffix(string s) => Regex.Replace(s, @" \(Parameter '[^']*'\)$", "");
}

/// <summary>A usage error raised by the CLI itself (exit 2), optionally with a hint line.</summary>
/// <param name="message">The error line.</param>
/// <param name="hint">What to do about it (printed as `hint: ...`), or null.</param>
public sealed class UsageException(string message, string? hint = null) : ArgumentException(message)
{
    /// <summary>What to do about the error, or null.</summary>
    public string? Hint { get; } = hint;
}
