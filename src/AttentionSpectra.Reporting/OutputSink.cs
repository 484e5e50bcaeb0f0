using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttentionSpectra.Reporting;

public enum OutputFormat { Json, Csv }

/// <summary>A rectangular result table (named columns, rows of cells: double, int, string or bool).</summary>
public sealed class ResultTable(string name, params string[] columns)
{
    public string Name { get; } = name;
    public IReadOnlyList<string> Columns { get; } = columns;
    public List<object?[]> Rows { get; } = [];

    public ResultTable Add(params object?[] cells)
    {
        if (cells.Length != Columns.Count) throw new ArgumentException($"Table '{Name}' has {Columns.Count} columns, row has {cells.Length}.");
        Rows.Add(cells);
        return this;
    }

    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Columns.Select(Escape)));
        foreach (var r in Rows) sb.AppendLine(string.Join(",", r.Select(c => Escape(Format(c)))));
        return sb.ToString();
    }

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
/// Tables go out as CSV or JSON (per <see cref="Format"/>); summaries always as JSON; figures as PNG.
/// Every file written is recorded in <see cref="Written"/> so a caller can list them.</summary>
public sealed class OutputSink
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public string Directory { get; }
    public OutputFormat Format { get; }
    public List<string> Written { get; } = [];

    public OutputSink(string directory, OutputFormat format = OutputFormat.Json)
    {
        Directory = Path.GetFullPath(directory);
        Format = format;
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string PathFor(string fileName) => Path.Combine(Directory, fileName);

    public string WriteTable(ResultTable table)
    {
        string path = PathFor(table.Name + (Format == OutputFormat.Csv ? ".csv" : ".json"));
        if (Format == OutputFormat.Csv) File.WriteAllText(path, table.ToCsv());
        else File.WriteAllText(path, JsonSerializer.Serialize(table.ToRecords(), JsonOptions));
        Written.Add(path);
        return path;
    }

    public string WriteJson<T>(string name, T value)
    {
        string path = PathFor(name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(value, JsonOptions));
        Written.Add(path);
        return path;
    }

    /// <summary>Register a file written by someone else (e.g. a PNG saved by <see cref="Figure"/>).</summary>
    public string Record(string path) { Written.Add(path); return path; }
}
