using System.Globalization;
using AttentionSpectra.Reporting;
using Spectre.Console;

namespace AttentionSpectra.Cli;

/// <summary>Console rendering shared by all commands: progress, tables, file lists, errors. On a terminal it uses
/// Spectre.Console (tables fit the window); when stdout is not a terminal it writes plain, unwrapped lines (tables as
/// tab-separated values); errors always go to stderr as plain `error:` lines.</summary>
public static class Ui
{
    /// <summary>Seconds without a progress report after which a "working" line is printed (logs, CI, pipes).</summary>
    public const double HeartbeatSeconds = 1.0;

    private static bool StdoutIsTerminal => !Console.IsOutputRedirected;

    /// <summary>Where <see cref="Error"/> writes in the current flow (null: stderr); lets in-process callers such as
    /// tests capture the error line without touching the process-wide console.</summary>
    public static readonly AsyncLocal<TextWriter?> ErrorWriter = new();

    /// <summary>Run <paramref name="work"/> with progress fed by the library's <see cref="IProgress{ProgressUpdate}"/>
    /// reports. On a terminal: Spectre progress bars, with a "preparing" row until the first report. Elsewhere: one
    /// stderr line per task at every 25% and a "working" line after <see cref="HeartbeatSeconds"/> of silence.
    /// Every report checks <see cref="RunContext.Cancellation"/> and throws
    /// <see cref="OperationCanceledException"/> once it is cancelled.</summary>
    public static T WithProgress<T>(RunContext ctx, Func<IProgress<ProgressUpdate>, T> work)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = Run(ctx, work);
        lock (ctx.Timings)
            ctx.Timings.Add(new StepTiming(ctx.Timings.Count == 0 ? "computation"
                : $"computation {ctx.Timings.Count + 1}", clock.Elapsed.TotalSeconds));
        return result;
    }

    private static T Run<T>(RunContext ctx, Func<IProgress<ProgressUpdate>, T> work)
    {
        var token = ctx.Cancellation;
        token.ThrowIfCancellationRequested();
        if (ctx.Quiet || !StdoutIsTerminal || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            using var plain = new PlainProgress(ctx.Quiet, ctx.Command, token);
            return work(plain);
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .Start(pc =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask? prep = pc.AddTask("preparing " + Markup.Escape(ctx.Command));
                prep.IsIndeterminate = true;
                var sink = new SyncProgress(u =>
                {
                    token.ThrowIfCancellationRequested();
                    lock (tasks)
                    {
                        if (prep != null)
                        {
                            prep.IsIndeterminate = false;
                            prep.Value = prep.MaxValue;
                            prep.StopTask();
                            prep = null;
                        }
                        if (!tasks.TryGetValue(u.Task, out var t))
                        {
                            t = pc.AddTask(Markup.Escape(u.Task), maxValue: Math.Max(u.Total, 1e-9));
                            tasks[u.Task] = t;
                        }
                        t.MaxValue = Math.Max(u.Total, 1e-9);
                        t.Value = Math.Min(u.Completed, t.MaxValue);
                    }
                });
                result = work(sink);
                lock (tasks)
                {
                    if (prep != null) { prep.IsIndeterminate = false; prep.Value = prep.MaxValue; }
                    foreach (var t in tasks.Values) t.Value = t.MaxValue;
                }
            });
        return result;
    }

    /// <summary>As <see cref="WithProgress{T}"/> for work without a result.</summary>
    public static void WithProgress(RunContext ctx, Action<IProgress<ProgressUpdate>> work) =>
        WithProgress<int>(ctx, p => { work(p); return 0; });

    /// <summary>Print a table: a Spectre table on a terminal, tab-separated values otherwise. The table also goes on
    /// the page of the run (<see cref="CommandPages"/>), even when quiet.</summary>
    public static void Table(RunContext ctx, ResultTable table, int maxRows = 40)
    {
        lock (ctx.Shown) ctx.Shown.Add(table);
        if (ctx.Quiet) return;
        if (!StdoutIsTerminal)
        {
            var o = Console.Out;
            o.WriteLine("# " + table.Name);
            o.WriteLine(string.Join('\t', table.Columns.Select(Tsv)));
            foreach (var r in table.Rows.Take(maxRows)) o.WriteLine(string.Join('\t', r.Select(c => Tsv(Cell(c)))));
            if (table.Rows.Count > maxRows)
                o.WriteLine($"# ... {table.Rows.Count - maxRows} more rows in the output file");
            return;
        }
        var t = new Table().Title(Markup.Escape(table.Name));
        foreach (var c in table.Columns) t.AddColumn(Markup.Escape(c));
        foreach (var r in table.Rows.Take(maxRows)) t.AddRow(r.Select(c => Markup.Escape(Cell(c))).ToArray());
        AnsiConsole.Write(t);
        if (table.Rows.Count > maxRows)
            AnsiConsole.MarkupLine($"[grey]... {table.Rows.Count - maxRows} more rows in the output file[/]");
    }

    /// <summary>Commit the sink (its files move into place and its manifest entry is marked complete), then list
    /// the files written.</summary>
    public static void Files(RunContext ctx, OutputSink sink)
    {
        sink.Commit();
        if (ctx.Quiet) return;
        foreach (var f in sink.Written)
        {
            string rel = Path.GetRelativePath(Environment.CurrentDirectory, sink.FinalPath(f));
            if (StdoutIsTerminal) AnsiConsole.MarkupLine($"[grey]wrote[/] {Markup.Escape(rel)}");
            else Console.Out.WriteLine("wrote " + rel);
        }
    }

    /// <summary>Print an informational line (not in quiet mode).</summary>
    public static void Info(RunContext ctx, string text)
    {
        if (ctx.Quiet) return;
        if (StdoutIsTerminal) AnsiConsole.MarkupLine(Markup.Escape(text));
        else Console.Out.WriteLine(text);
    }

    /// <summary>Write `error: message` (and `hint: ...`) to stderr, each on one unwrapped line; red on a terminal
    /// unless NO_COLOR is set.</summary>
    public static void Error(string message, string? hint = null)
    {
        bool color = !Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var e = ErrorWriter.Value ?? Console.Error;
        e.WriteLine((color ? "\u001b[31merror:\u001b[0m " : "error: ") + CliHost.OneLine(message));
        if (!string.IsNullOrWhiteSpace(hint)) e.WriteLine("hint: " + CliHost.OneLine(hint));
        e.Flush();
    }

    /// <summary>Show the cursor again (Spectre hides it during live progress) when stdout is a terminal.</summary>
    public static void RestoreTerminal()
    {
        if (!StdoutIsTerminal) return;
        try
        {
            using var raw = Console.OpenStandardOutput();
            raw.Write("\u001b[?25h"u8);
            raw.Flush();
        }
        catch (IOException) { }
    }

    private static string Cell(object? c) => c switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => ResultTable.Format(c),
    };

    private static string Tsv(string s) => s.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    private sealed class SyncProgress(Action<ProgressUpdate> a) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => a(value);
    }

    /// <summary>Line-based progress for logs/CI: one stderr line per task at start and at every 25%, and a
    /// "working" line when nothing was reported for a while.</summary>
    private sealed class PlainProgress : IProgress<ProgressUpdate>, IDisposable
    {
        private readonly Dictionary<string, int> _last = [];
        private readonly bool _quiet;
        private readonly string _command;
        private readonly CancellationToken _token;
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private readonly Timer? _timer;
        private double _lastLine;
        private string? _task;

        public PlainProgress(bool quiet, string command, CancellationToken token)
        {
            _quiet = quiet;
            _command = command;
            _token = token;
            if (!quiet) _timer = new Timer(_ => Heartbeat(), null, TimeSpan.FromSeconds(HeartbeatSeconds),
                TimeSpan.FromSeconds(HeartbeatSeconds));
        }

        public void Report(ProgressUpdate u)
        {
            _token.ThrowIfCancellationRequested();
            if (_quiet) return;
            int q = u.Total > 0 ? (int)Math.Floor(4 * Math.Min(u.Completed, u.Total) / u.Total) : 0;
            lock (_last)
            {
                _task = u.Task;
                if (_last.TryGetValue(u.Task, out var prev) && prev >= q) return;
                _last[u.Task] = q;
                _lastLine = _clock.Elapsed.TotalSeconds;
            }
            Console.Error.WriteLine($"[{u.Task}] {25 * q}%");
        }

        private void Heartbeat()
        {
            string line;
            lock (_last)
            {
                double now = _clock.Elapsed.TotalSeconds;
                // First line after one second of silence, then one every ten seconds of silence.
                if (now - _lastLine < (_lastLine == 0 ? HeartbeatSeconds : 10)) return;
                _lastLine = now;
                line = $"[{_task ?? _command}] working ({now:F0} s)";
            }
            Console.Error.WriteLine(line);
        }

        public void Dispose() => _timer?.Dispose();
    }
}
