using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Cli;

/// <summary>Strict parsers for the CLI's list, range, index-set, shape and size arguments. Every malformed input is
/// an <see cref="ArgumentException"/> naming the option: empty items (<c>3,,5</c>), trailing separators (<c>1,2,</c>),
/// reversed or empty ranges, too many values (counted before anything is expanded) and out-of-range indices.</summary>
public static class Parsing
{
    /// <summary>Most values a <c>--values</c> list or range may produce.</summary>
    public const int MaxListValues = 200;

    /// <summary>Largest index an index set (<c>--layers</c>, <c>--heads</c>) may name before the model is known.
    /// </summary>
    public const int MaxIndex = 100_000;

    /// <summary>Split on commas, rejecting empty items (leading, trailing or doubled separators).</summary>
    public static string[] Items(string text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"{option} needs at least one value, got an empty string.");
        var parts = text.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = parts[i].Trim();
            if (parts[i].Length == 0)
                throw new ArgumentException($"{option} '{text}': item {i + 1} of {parts.Length} is empty " +
                                            "(check for doubled, leading or trailing commas).");
        }
        return parts;
    }

    /// <summary>Parse "3,5,10" or ranges "3..50" / "3..50:5" (start..end:step), at most <paramref name="max"/>
    /// values; the size of a range is computed before it is expanded.</summary>
    public static List<double> Values(string text, string option, int max = MaxListValues)
    {
        var list = new List<double>();
        foreach (var part in Items(text, option))
        {
            if (part.Contains(".."))
            {
                var rs = part.Split(':');
                var ab = rs[0].Split("..");
                if (rs.Length > 2 || ab.Length != 2 || !TryNumber(ab[0], out var a) || !TryNumber(ab[1], out var b))
                    throw new ArgumentException($"{option}: cannot parse range '{part}' " +
                                                "(use start..end or start..end:step).");
                double step = 1;
                if (rs.Length == 2 && !TryNumber(rs[1], out step))
                    throw new ArgumentException($"{option}: cannot parse the step of '{part}'.");
                if (!(step > 0)
                    || b < a) throw new ArgumentException($"{option}: range '{part}' needs end >= start and step > 0.");
                double count = Math.Floor((b - a) / step + 1e-9) + 1;
                if (list.Count + count > max)
                    throw new ArgumentException($"{option}: too many values (range '{part}' alone has {count:G6}; " +
                                                $"at most {max}).");
                for (long k = 0; k < (long)count; k++) list.Add(a + k * step);
            }
            else if (TryNumber(part, out var v)) list.Add(v);
            else throw new ArgumentException($"{option}: '{part}' is not a finite number.");
            if (list.Count > max) throw new ArgumentException($"{option}: too many values (more than {max}).");
        }
        return list;
    }

    /// <summary>Parse "0,2-4" into a sorted index set (null for null/empty input), every index in
    /// [0, <paramref name="maxIndex"/>].</summary>
    public static SortedSet<int>? IndexSet(string? text, string option, int maxIndex = MaxIndex)
    {
        if (text == null) return null;
        var r = new SortedSet<int>();
        foreach (var part in Items(text, option))
        {
            var ab = part.Split('-');
            if (ab.Length == 1 && TryIndex(ab[0], out int x)) r.Add(Check(x));
            else if (ab.Length == 2 && TryIndex(ab[0], out int a) && TryIndex(ab[1], out int b) && b >= a)
            {
                Check(b);
                for (int i = a; i <= b; i++) r.Add(i);
            }
            else throw new ArgumentException($"{option} '{text}': '{part}' is not an index or a range like 2-4 " +
                                             "(indices are non-negative whole numbers).");
        }
        return r;

        int Check(int i) => i <= maxIndex ? i
            : throw new ArgumentException($"{option}: index {i} is out of range (valid: 0..{maxIndex}).");
    }

    /// <summary>Throw when <paramref name="set"/> names an index at or above <paramref name="count"/>.</summary>
    public static void CheckIndices(ISet<int>? set, int count, string option, string what)
    {
        if (set == null) return;
        var bad = set.Where(i => i < 0 || i >= count).ToList();
        if (bad.Count > 0)
            throw new ArgumentException($"{option}: {string.Join(", ", bad)} out of range; " +
                                        $"the model has {count} {what} " +
                                        $"(valid: 0..{count - 1}).");
    }

    /// <summary>Parse a tensor shape "1,3,48,320": positive whole numbers whose product fits in an array.</summary>
    public static int[] Shape(string text, string option)
    {
        var items = Items(text, option);
        var r = new int[items.Length];
        double product = 1;
        for (int i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out r[i]) || r[i] <= 0)
                throw new ArgumentException($"{option} '{text}': '{items[i]}' is not a positive whole number.");
            product *= r[i];
        }
        if (product > Array.MaxLength)
            throw new ArgumentException($"{option} '{text}' has {product:G4} elements, more than one array can hold " +
                                        $"({Array.MaxLength}).");
        return r;
    }

    /// <summary>Parse a strict comma list of finite numbers (for literal weight lists).</summary>
    public static double[] Numbers(string text, string option, int max)
    {
        var items = Items(text, option);
        if (items.Length > max) throw new ArgumentException($"{option}: {items.Length} values, at most {max} allowed.");
        var r = new double[items.Length];
        for (int i = 0; i < items.Length; i++)
            if (!TryNumber(items[i], out r[i]))
                throw new ArgumentException($"{option}: '{items[i]}' (item {i + 1}) is not a finite number.");
        return r;
    }

    /// <summary>Parse a byte size: 123, 512K, 64M, 4G, 1.5T (binary multiples; optional trailing B/iB).</summary>
    public static long ParseByteSize(string text, string option = "--max-memory")
    {
        string s = text.Trim().ToUpperInvariant();
        if (s.EndsWith("IB")) s = s[..^2];
        else if (s.EndsWith('B')) s = s[..^1];
        double mult = 1;
        if (s.Length > 0 && "KMGT".Contains(s[^1]))
        {
            mult = Math.Pow(1024, "KMGT".IndexOf(s[^1]) + 1);
            s = s[..^1];
        }
        if (!TryNumber(s, out var v) || !(v * mult >= 1) || v * mult >= long.MaxValue)
            throw new ArgumentException($"{option}: '{text}' is not a size (e.g. 512M, 4G, 1073741824).");
        return (long)(v * mult);
    }

    internal static long ByteSize(ArgumentResult r)
    {
        if (r.Tokens.Count == 0) return Guards.DefaultMaxMemory;
        try { return ParseByteSize(r.Tokens[^1].Value); }
        catch (ArgumentException e) { r.AddError(e.Message); return 0; }
    }

    internal static OutputFormat Format(ArgumentResult r) =>
        Choice(r, "--format", "a table format", OutputFormat.Json, OutputFormat.Csv);

    internal static FigureFormat FigureFormat(ArgumentResult r) =>
        Choice(r, "--figure-format", "a figure format", Reporting.FigureFormat.Png, Reporting.FigureFormat.Svg);

    /// <summary>An enum option given by its lower-case name (the first choice is the default); anything else is
    /// a parse error naming the option and the choices.</summary>
    private static T Choice<T>(ArgumentResult r, string option, string what, params T[] choices) where T : struct, Enum
    {
        if (r.Tokens.Count == 0) return choices[0];
        string v = r.Tokens[^1].Value;
        foreach (var c in choices)
            if (string.Equals(v.Trim(), c.ToString(), StringComparison.OrdinalIgnoreCase)) return c;
        var names = choices.Select(c => c.ToString().ToLowerInvariant()).ToList();
        r.AddError($"{option}: '{v}' is not {what} (use {string.Join(", ", names.SkipLast(1))} or {names[^1]}).");
        return choices[0];
    }

    private static bool TryNumber(string s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);

    private static bool TryIndex(string s, out int v) =>
        int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out v);
}

/// <summary>Tightens every option of a command tree once: floating-point options reject NaN and infinities
/// (System.CommandLine accepts "NaN" and "Infinity" for doubles).</summary>
public static class CliHardening
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, object> Done = new();

    /// <summary>Apply to <paramref name="root"/> and all its subcommands (idempotent).</summary>
    public static void Apply(Command root)
    {
        foreach (var o in root.Options)
        {
            var t = Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType;
            if ((t != typeof(double) && t != typeof(float)) || Done.TryGetValue(o, out _)) continue;
            Done.Add(o, new object());
            o.Validators.Add(r =>
            {
                foreach (var tok in r.Tokens)
                    if (double.TryParse(tok.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                        && !double.IsFinite(v))
                        r.AddError($"{o.Name}: '{tok.Value}' is not a finite number.");
            });
        }
        foreach (var c in root.Subcommands) Apply(c);
    }
}
