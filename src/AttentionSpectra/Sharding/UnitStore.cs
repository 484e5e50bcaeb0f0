using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttentionSpectra.Sharding;

/// <summary>What a sharded job is: the command, its arguments and seed as given (so a merge can re-run the
/// aggregation with the same options), and how many units it has. Every shard of one job writes the same plan;
/// a unit store refuses units of a different plan.</summary>
/// <param name="Command">Command path, e.g. <c>rmt phase</c>.</param>
/// <param name="Arguments">The command's arguments (without shard/merge/resume options), in order.</param>
/// <param name="TotalUnits">Number of units of the whole job.</param>
/// <param name="UnitDescription">What one unit is, e.g. <c>SNR point × trial</c>.</param>
public sealed record ShardPlan(string Command, IReadOnlyList<string> Arguments, int TotalUnits, string UnitDescription)
{
    /// <summary>True when two plans describe the same job.</summary>
    public bool SameJob(ShardPlan other) =>
        Command == other.Command && TotalUnits == other.TotalUnits && Arguments.SequenceEqual(other.Arguments);
}

/// <summary>Per-unit results of a sharded job in a folder (<c>OUT/shards/&lt;command&gt;/</c>): <c>plan.json</c>
/// plus one <c>unit-NNNNNN.json</c> per finished unit. Each unit file is written to a temporary name and renamed into
/// place, so a killed task never leaves half a unit, and a rerun with resume skips the units already present.
/// Doubles are written in their shortest round-trip form, so a merge reads back exactly the numbers computed.</summary>
/// <typeparam name="T">The unit result type (a record serialisable by System.Text.Json).</typeparam>
public sealed class UnitStore<T>
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        IncludeFields = true,
    };

    /// <summary>The folder holding the plan and the unit files.</summary>
    public string Directory { get; }

    /// <summary>The job's plan.</summary>
    public ShardPlan Plan { get; }

    /// <summary>Open (creating if needed) the store of <paramref name="plan"/> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The store's folder.</param>
    /// <param name="plan">The job's plan; must match a plan already in the folder.</param>
    /// <exception cref="InvalidDataException">The folder holds units of a different job.</exception>
    public UnitStore(string directory, ShardPlan plan)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(plan);
        Directory = directory;
        Plan = plan;
        System.IO.Directory.CreateDirectory(directory);
        string planPath = Path.Combine(directory, "plan.json");
        if (File.Exists(planPath))
        {
            var existing = ReadPlan(directory);
            if (!existing.SameJob(plan))
                throw new InvalidDataException(
                    $"{directory} holds units of another job ({existing.Command} {string.Join(' ', existing.Arguments)}, " +
                    $"{existing.TotalUnits} units); use a fresh output folder or remove it.");
        }
        else AtomicWrite(planPath, JsonSerializer.SerializeToUtf8Bytes(plan, Json));
    }

    /// <summary>Read the plan stored in <paramref name="directory"/>.</summary>
    /// <param name="directory">A store folder.</param>
    /// <exception cref="InvalidDataException">No or an unreadable plan.</exception>
    public static ShardPlan ReadPlan(string directory)
    {
        string planPath = Path.Combine(directory, "plan.json");
        if (!File.Exists(planPath)) throw new InvalidDataException($"{directory}: no plan.json (not a shard folder).");
        try
        {
            return JsonSerializer.Deserialize<ShardPlan>(File.ReadAllBytes(planPath), Json)
                ?? throw new InvalidDataException($"{planPath}: empty plan.");
        }
        catch (JsonException e) { throw new InvalidDataException($"{planPath}: unreadable plan ({e.Message})."); }
    }

    private string UnitPath(int unit) => Path.Combine(Directory, $"unit-{unit:D6}.json");

    /// <summary>True when unit <paramref name="unit"/> has been written.</summary>
    public bool Has(int unit) => File.Exists(UnitPath(unit));

    /// <summary>Write the result of unit <paramref name="unit"/> atomically.</summary>
    /// <param name="unit">Unit index, 0 ≤ unit &lt; TotalUnits.</param>
    /// <param name="value">Its result.</param>
    public void Write(int unit, T value)
    {
        CheckUnit(unit);
        AtomicWrite(UnitPath(unit), JsonSerializer.SerializeToUtf8Bytes(value, Json));
    }

    /// <summary>Read the result of unit <paramref name="unit"/>.</summary>
    /// <param name="unit">Unit index.</param>
    /// <exception cref="InvalidDataException">Missing or unreadable.</exception>
    public T Read(int unit)
    {
        CheckUnit(unit);
        string p = UnitPath(unit);
        if (!File.Exists(p)) throw new InvalidDataException($"{p}: unit {unit} has not been computed.");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(p), Json)
                ?? throw new InvalidDataException($"{p}: empty unit file.");
        }
        catch (JsonException e) { throw new InvalidDataException($"{p}: unreadable unit file ({e.Message})."); }
    }

    /// <summary>Units not yet written, ascending.</summary>
    public IReadOnlyList<int> Missing() =>
        Enumerable.Range(0, Plan.TotalUnits).Where(u => !Has(u)).ToList();

    /// <summary>All unit results in unit order.</summary>
    /// <exception cref="InvalidDataException">Some units are missing (the message lists the first ones).</exception>
    public T[] ReadAll()
    {
        var missing = Missing();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"{Directory}: {missing.Count} of {Plan.TotalUnits} units are missing (first: " +
                $"{string.Join(", ", missing.Take(10))}); run the remaining shards (with resume) before merging.");
        var all = new T[Plan.TotalUnits];
        for (int u = 0; u < all.Length; u++) all[u] = Read(u);
        return all;
    }

    private void CheckUnit(int unit)
    {
        if (unit < 0 || unit >= Plan.TotalUnits)
            throw new ArgumentOutOfRangeException(nameof(unit), $"Unit {unit} is outside [0, {Plan.TotalUnits - 1}].");
    }

    private static void AtomicWrite(string path, byte[] bytes)
    {
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
