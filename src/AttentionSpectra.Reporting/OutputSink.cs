using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttentionSpectra.Reporting;

/// <summary>File format of the result tables a sink writes.</summary>
public enum OutputFormat
{
    /// <summary>JSON arrays of records.</summary>
    Json,
    /// <summary>Comma-separated values with a header line.</summary>
    Csv,
}

/// <summary>File format of the figures a sink's <see cref="Figure.Save"/> writes.</summary>
public enum FigureFormat
{
    /// <summary>PNG raster images.</summary>
    Png,
    /// <summary>SVG vector images.</summary>
    Svg,
}

/// <summary>A table written by <see cref="OutputSink.WriteTable"/> and the file it went to.</summary>
/// <param name="Table">The table.</param>
/// <param name="Path">The written file (under <see cref="OutputSink.WriteDirectory"/>).</param>
public sealed record WrittenTable(ResultTable Table, string Path);

/// <summary>A rectangular result table (named columns, rows of cells: double, int, string or bool).</summary>
public sealed class ResultTable(string name, params string[] columns)
{
    /// <summary>Table name (the file name without extension).</summary>
    public string Name { get; } = name;
    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Columns { get; } = columns;
    /// <summary>Rows, one cell per column.</summary>
    public List<object?[]> Rows { get; } = [];

    /// <summary>Appends a row; it must have one cell per column.</summary>
    public ResultTable Add(params object?[] cells)
    {
        if (cells.Length != Columns.Count) throw new ArgumentException($"Table '{Name}' has {Columns.Count} columns, row has {cells.Length}.");
        Rows.Add(cells);
        return this;
    }

    /// <summary>The table as CSV: a header line, then one line per row (invariant culture, quoted where needed).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Columns.Select(Escape)));
        foreach (var r in Rows) sb.AppendLine(string.Join(",", r.Select(c => Escape(Format(c)))));
        return sb.ToString();
    }

    /// <summary>The rows as column-name to value maps (non-finite numbers as strings), for JSON.</summary>
    public List<Dictionary<string, object?>> ToRecords() =>
        Rows.Select(r => Columns.Select((c, i) => (c, v: r[i])).ToDictionary(t => t.c, t => Sanitize(t.v))).ToList();

    internal static object? Sanitize(object? v) => v is double d && !double.IsFinite(d) ? d.ToString(CultureInfo.InvariantCulture) : v;

    internal static string Format(object? c) => c switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => c.ToString() ?? "",
    };

    private static string Escape(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

/// <summary>Writes a study's machine-readable results and figures into one output directory.
/// Tables go out as CSV or JSON (per <see cref="Format"/>); summaries always as JSON; figures as PNG or SVG.
/// Every file written is recorded in <see cref="Written"/> so a caller can list them.
/// <para>Every file is written atomically (a temporary file renamed into place). A sink made by
/// <see cref="Staged"/> writes into a hidden staging folder inside <see cref="Directory"/> instead; only
/// <see cref="Commit"/> moves the files into place, removes what the previous run of the same command wrote there,
/// and records the set in <c>manifest.json</c> with <c>"complete": true</c> (written last). A run that is cancelled or
/// fails is discarded by <see cref="Dispose"/>, so the directory never holds a half result set of a run.</para>
/// </summary>
public sealed class OutputSink : IDisposable
{
    /// <summary>Serializer settings shared by every JSON file written (indented, camelCase, named float literals).
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Name of the per-directory manifest listing, per command, the files of its last complete run.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>Prefix of staging folders; a folder with this prefix is an interrupted run and may be deleted.
    /// </summary>
    public const string StagingPrefix = ".attnspec-staging-";

    private readonly string? _runKey;
    private readonly List<WrittenTable> _tables = [];
    private bool _committed;

    /// <summary>Final directory of the results (absolute).</summary>
    public string Directory { get; }

    /// <summary>Where files are written now: the staging folder of a staged sink, else <see cref="Directory"/>.
    /// </summary>
    public string WriteDirectory { get; }

    /// <summary>Format of result tables.</summary>
    public OutputFormat Format { get; }

    /// <summary>Paths of the files written so far (under <see cref="WriteDirectory"/>).</summary>
    public List<string> Written { get; } = [];

    /// <summary>The command whose run this staged sink holds (e.g. "rmt phase"); null for a direct sink.</summary>
    public string? RunKey => _runKey;

    /// <summary>Format of the figures <see cref="Figure.Save"/> writes into this sink (default PNG).</summary>
    public FigureFormat FigureFormat { get; set; } = FigureFormat.Png;

    /// <summary>Tables written so far by <see cref="WriteTable"/>, in order.</summary>
    public IReadOnlyList<WrittenTable> Tables => _tables;

    /// <summary>Claims the run checked against theory (shown with their verdicts on the run's page).</summary>
    public List<Claim> Claims { get; } = [];

    /// <summary>Called once at the start of <see cref="Commit"/> of a staged sink, while the files are still staged,
    /// e.g. to write a page from what the run put into the sink; what it writes (and records) is committed with the
    /// rest.</summary>
    public Action<OutputSink>? BeforeCommit { get; set; }

    /// <summary>True once a staged sink's files have been moved into place (always true for a direct sink).</summary>
    public bool Committed => _runKey == null || _committed;

    /// <summary>A direct sink: files are written (atomically, one by one) straight into <paramref name="directory"/>.
    /// </summary>
    public OutputSink(string directory, OutputFormat format = OutputFormat.Json) : this(directory, format, null) { }

    private OutputSink(string directory, OutputFormat format, string? runKey)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException("The output directory must not be empty.");
        Directory = Path.GetFullPath(directory);
        Format = format;
        _runKey = runKey;
        System.IO.Directory.CreateDirectory(Directory);
        WriteDirectory = runKey == null
            ? Directory
            : Path.Combine(Directory, StagingPrefix + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(WriteDirectory);
    }

    /// <summary>A staged sink for one run of the command <paramref name="runKey"/> (e.g. "rmt phase"): nothing
    /// appears in <paramref name="directory"/> until <see cref="Commit"/>.</summary>
    public static OutputSink Staged(string directory, OutputFormat format, string runKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        return new OutputSink(directory, format, runKey);
    }

    /// <summary>Path at which to write <paramref name="fileName"/> now (in the staging folder of a staged sink).
    /// </summary>
    public string PathFor(string fileName) => Path.Combine(WriteDirectory, fileName);

    /// <summary>Where a path returned by <see cref="PathFor"/> ends up after <see cref="Commit"/>.</summary>
    public string FinalPath(string writtenPath) =>
        Path.Combine(Directory, Path.GetRelativePath(WriteDirectory, Path.GetFullPath(writtenPath)));

    /// <summary>Write a table as CSV or JSON (per <see cref="Format"/>) named after the table.</summary>
    public string WriteTable(ResultTable table)
    {
        string path = PathFor(table.Name + (Format == OutputFormat.Csv ? ".csv" : ".json"));
        WriteAtomic(path, Format == OutputFormat.Csv ? table.ToCsv() : JsonSerializer.Serialize(table.ToRecords(),
            JsonOptions));
        Written.Add(path);
        _tables.Add(new WrittenTable(table, path));
        return path;
    }

    /// <summary>Write <paramref name="value"/> as indented JSON to <c>name.json</c>.</summary>
    public string WriteJson<T>(string name, T value)
    {
        string path = PathFor(name + ".json");
        WriteAtomic(path, JsonSerializer.Serialize(value, JsonOptions));
        Written.Add(path);
        return path;
    }

    /// <summary>Register a file written by someone else (e.g. a PNG saved by <see cref="Figure"/>).</summary>
    public string Record(string path) { Written.Add(path); return path; }

    /// <summary>Move a staged run's files into place (after running <see cref="BeforeCommit"/>): delete the files
    /// the previous run of the same command listed
    /// in the manifest (unless this run or another command's entry also has them), rename every staged file over its
    /// final name, then rewrite the manifest with this run's entry marked complete. No-op for a direct sink or a sink
    /// already committed.</summary>
    public void Commit()
    {
        if (_runKey == null || _committed) return;
        var hook = BeforeCommit;
        BeforeCommit = null;
        hook?.Invoke(this);
        var names = Written.Select(w => Path.GetRelativePath(WriteDirectory, Path.GetFullPath(w)))
            .Where(n => File.Exists(Path.Combine(WriteDirectory, n))).Distinct().ToList();
        var manifest = RunManifest.Load(Directory);
        var previous = manifest.Runs.FirstOrDefault(r => r.Command == _runKey);
        var others = manifest.Runs.Where(r => r.Command != _runKey).SelectMany(r => r.Files).ToHashSet();
        manifest.Runs.RemoveAll(r => r.Command == _runKey);
        var entry = new RunManifestEntry(_runKey, false, DateTime.UtcNow, names);
        manifest.Runs.Add(entry);
        manifest.Save(Directory);
        foreach (var old in previous?.Files ?? [])
            if (RunManifest.IsPlainRelative(old) && !names.Contains(old) && !others.Contains(old))
                File.Delete(Path.Combine(Directory, old));
        foreach (var n in names)
        {
            string dest = Path.Combine(Directory, n);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Move(Path.Combine(WriteDirectory, n), dest, overwrite: true);
        }
        manifest.Runs[^1] = entry with { Complete = true, FinishedUtc = DateTime.UtcNow };
        manifest.Save(Directory);
        _committed = true;
        Discard();
    }

    /// <summary>Discard an uncommitted staged run (its staging folder is deleted).</summary>
    public void Dispose() => Discard();

    private void Discard()
    {
        if (_runKey == null) return;
        try { if (System.IO.Directory.Exists(WriteDirectory)) System.IO.Directory.Delete(WriteDirectory, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Write text to <paramref name="path"/> through a temporary file renamed into place, so a reader never
    /// sees a half-written file.</summary>
    public static void WriteAtomic(string path, string text)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>One command's last run in an output directory.</summary>
/// <param name="Command">Command path, e.g. "rmt phase".</param>
/// <param name="Complete">True once every listed file is in place; written last.</param>
/// <param name="FinishedUtc">When the run was committed.</param>
/// <param name="Files">Files of the run, relative to the directory.</param>
public sealed record RunManifestEntry(string Command, bool Complete, DateTime FinishedUtc, List<string> Files);

/// <summary>The <c>manifest.json</c> of an output directory: one entry per command that wrote there.</summary>
public sealed class RunManifest
{
    /// <summary>Entries, one per command.</summary>
    public List<RunManifestEntry> Runs { get; set; } = [];

    /// <summary>Read the manifest of <paramref name="directory"/>; an absent or unreadable one is empty.</summary>
    public static RunManifest Load(string directory)
    {
        string path = Path.Combine(directory, OutputSink.ManifestName);
        if (!File.Exists(path)) return new RunManifest();
        try
        {
            var m = JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(path), OutputSink.JsonOptions);
            if (m?.Runs == null) return new RunManifest();
            m.Runs.RemoveAll(r => r?.Command == null || r.Files == null);
            return m;
        }
        catch (JsonException) { return new RunManifest(); }
    }

    /// <summary>Write the manifest atomically.</summary>
    public void Save(string directory) =>
        OutputSink.WriteAtomic(Path.Combine(directory, OutputSink.ManifestName), JsonSerializer.Serialize(this,
            OutputSink.JsonOptions));

    /// <summary>A manifest name that stays inside the directory (no rooted path, no "..").</summary>
    internal static bool IsPlainRelative(string name) =>
        !string.IsNullOrEmpty(name) && !Path.IsPathRooted(name) && !name.Split('/', '\\').Contains("..");
}
