using AttentionSpectra.Reporting;
using Spectre.Console;

namespace AttentionSpectra.Cli;

/// <summary>Console rendering shared by all commands: progress bars, tables, file lists, errors.</summary>
public static class Ui
{
    /// <summary>Run <paramref name="work"/> with a live Spectre.Console progress display fed by the library's
    /// <see cref="IProgress{ProgressUpdate}"/> reports (one bar per task label). Quiet runs get none;
    /// non-interactive terminals (CI, pipes) get one stderr line per task at every 25%.</summary>
    public static T WithProgress<T>(RunContext ctx, Func<IProgress<ProgressUpdate>, T> work)
    {
        if (ctx.Quiet || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(new PlainProgress(ctx.Quiet));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(pc =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var sink = new SyncProgress(u =>
                {
                    lock (tasks)
                    {
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
                lock (tasks) foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    public static void WithProgress(RunContext ctx, Action<IProgress<ProgressUpdate>> work) =>
        WithProgress<int>(ctx, p => { work(p); return 0; });

    public static void Table(RunContext ctx, ResultTable table, int maxRows = 40)
    {
        if (ctx.Quiet) return;
        var t = new Table().Title(Markup.Escape(table.Name));
        foreach (var c in table.Columns) t.AddColumn(Markup.Escape(c));
        foreach (var r in table.Rows.Take(maxRows)) t.AddRow(r.Select(c => Markup.Escape(Cell(c))).ToArray());
        AnsiConsole.Write(t);
        if (table.Rows.Count > maxRows) AnsiConsole.MarkupLine($"[grey]... {table.Rows.Count - maxRows} more rows in the output file[/]");
    }

    public static void Files(RunContext ctx, OutputSink sink)
    {
        if (ctx.Quiet) return;
        foreach (var f in sink.Written) AnsiConsole.MarkupLine($"[grey]wrote[/] {Markup.Escape(Path.GetRelativePath(Environment.CurrentDirectory, f))}");
    }

    public static void Info(RunContext ctx, string text)
    {
        if (!ctx.Quiet) AnsiConsole.MarkupLine(Markup.Escape(text));
    }

    public static void Error(string message) => AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    private static string Cell(object? c) => c switch
    {
        null => "",
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        _ => ResultTable.Format(c),
    };

    private sealed class SyncProgress(Action<ProgressUpdate> a) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => a(value);
    }

    /// <summary>Line-based progress for logs/CI: one stderr line per task at start and at every 25%.</summary>
    private sealed class PlainProgress(bool quiet) : IProgress<ProgressUpdate>
    {
        private readonly Dictionary<string, int> _last = [];
        public void Report(ProgressUpdate u)
        {
            if (quiet) return;
            int q = u.Total > 0 ? (int)Math.Floor(4 * u.Completed / u.Total) : 0;
            lock (_last)
            {
                if (_last.TryGetValue(u.Task, out var prev) && prev >= q) return;
                _last[u.Task] = q;
            }
            Console.Error.WriteLine($"[{u.Task}] {Math.Min(100, 25 * q)}%");
        }
    }
}
