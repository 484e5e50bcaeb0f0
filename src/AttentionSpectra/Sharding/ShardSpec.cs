using System.Globalization;

namespace AttentionSpectra.Sharding;

/// <summary>Which part of a job this process computes: shard <see cref="Index"/> of <see cref="Count"/>
/// (0-based). Work is cut into deterministic units numbered 0..total−1 and unit <c>u</c> belongs to shard
/// <c>u mod Count</c>, so every shard gets an even mix of cheap and expensive units. Each unit draws its randomness
/// from <c>Rng.Split</c> of its own index, so it computes the same numbers on whichever shard or machine runs it.</summary>
/// <param name="Index">0-based shard index, 0 ≤ Index &lt; Count.</param>
/// <param name="Count">Number of shards, ≥ 1.</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>The whole job in one process.</summary>
    public static ShardSpec Single => new(0, 1);

    /// <summary>True when this spec is the whole job.</summary>
    public bool IsSingle => Count == 1;

    /// <summary>Validate the spec.</summary>
    /// <exception cref="ArgumentException">Count &lt; 1 or Index outside [0, Count).</exception>
    public ShardSpec Validated()
    {
        if (Count < 1) throw new ArgumentException($"The shard count must be at least 1, got {Count}.");
        if (Index < 0 || Index >= Count)
            throw new ArgumentException($"The shard index must lie in [0, {Count - 1}], got {Index}.");
        return this;
    }

    /// <summary>Parse <c>I/N</c> (0-based index I of N shards).</summary>
    /// <param name="text">The text, e.g. <c>2/4</c>.</param>
    /// <exception cref="FormatException">The text is not of the form I/N with 0 ≤ I &lt; N.</exception>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new FormatException($"a shard is written I/N with 0 <= I < N (e.g. 0/4), got '{text}'.");
        if (n < 1 || i >= n) throw new FormatException($"a shard is written I/N with 0 <= I < N (e.g. 0/4), got '{text}'.");
        return new ShardSpec(i, n);
    }

    /// <summary>The shard of a scheduler array task, or null outside one. Slurm: <c>SLURM_ARRAY_TASK_ID</c> minus
    /// <c>SLURM_ARRAY_TASK_MIN</c> (0 if unset) of <c>SLURM_ARRAY_TASK_COUNT</c> (or <paramref name="shards"/>).
    /// Kubernetes Indexed Jobs: <c>JOB_COMPLETION_INDEX</c> of <paramref name="shards"/> (which must then be given,
    /// since the pod does not see the completion count).</summary>
    /// <param name="environment">Reads an environment variable (null when unset); e.g.
    /// <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <param name="shards">Explicit shard count, or null to take it from the scheduler.</param>
    /// <exception cref="FormatException">A variable is set but malformed, or the count is unknown.</exception>
    public static ShardSpec? FromEnvironment(Func<string, string?> environment, int? shards = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? slurmId = environment("SLURM_ARRAY_TASK_ID");
        if (!string.IsNullOrEmpty(slurmId))
        {
            int id = Int(slurmId, "SLURM_ARRAY_TASK_ID");
            string? minText = environment("SLURM_ARRAY_TASK_MIN");
            int min = string.IsNullOrEmpty(minText) ? 0 : Int(minText, "SLURM_ARRAY_TASK_MIN");
            string? countText = environment("SLURM_ARRAY_TASK_COUNT");
            int count = shards ?? (string.IsNullOrEmpty(countText)
                ? throw new FormatException("SLURM_ARRAY_TASK_COUNT is not set; give the number of shards explicitly.")
                : Int(countText, "SLURM_ARRAY_TASK_COUNT"));
            return Checked(id - min, count, "SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN");
        }
        string? k8s = environment("JOB_COMPLETION_INDEX");
        if (!string.IsNullOrEmpty(k8s))
        {
            int id = Int(k8s, "JOB_COMPLETION_INDEX");
            if (shards is not int n)
                throw new FormatException("JOB_COMPLETION_INDEX is set but the number of shards is not given.");
            return Checked(id, n, "JOB_COMPLETION_INDEX");
        }
        return null;
    }

    private static ShardSpec Checked(int index, int count, string what)
    {
        if (count < 1 || index < 0 || index >= count)
            throw new FormatException($"{what} = {index} does not fit {count} shard(s).");
        return new ShardSpec(index, count);
    }

    private static int Int(string text, string name) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)
            ? v : throw new FormatException($"{name} must be an integer, got '{text}'.");

    /// <summary>True when unit <paramref name="unit"/> belongs to this shard.</summary>
    public bool Owns(int unit) => unit % Count == Index;

    /// <summary>The units of a job of <paramref name="total"/> units that belong to this shard, ascending.</summary>
    public IEnumerable<int> Units(int total)
    {
        for (int u = Index; u < total; u += Count) yield return u;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}/{Count}";
}
