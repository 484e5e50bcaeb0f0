using AttentionSpectra.Sharding;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>The units of a training sweep (<c>pca sweep</c>, <c>icl sweep</c>): unit i·seeds + s is run s at grid
/// point i.</summary>
internal static class SweepUnits
{
    /// <summary>Run the sweep's units under <paramref name="mode"/>; null for a shard that only stored its
    /// units.</summary>
    /// <param name="command">Command path for the default plan, e.g. <c>icl sweep</c>.</param>
    /// <param name="points">Grid points.</param>
    /// <param name="seeds">Runs per point.</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan, or null for an unnamed in-process job.</param>
    /// <param name="compute">Run s at point i → its unit result.</param>
    /// <param name="progress">Progress over this process's units.</param>
    /// <param name="cancellationToken">Stops between units.</param>
    internal static TUnit[]? Run<TUnit>(string command, int points, int seeds, ShardMode mode, ShardPlan? plan,
        Func<int, int, TUnit> compute, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        int total = points * seeds;
        plan ??= new ShardPlan(command, [], total, "grid value × seed");
        if (plan.TotalUnits != total)
            throw new ArgumentException($"The plan has {plan.TotalUnits} units, the sweep {total}.", nameof(plan));
        return ShardedRun.Run(plan, mode, u => compute(u / seeds, u % seeds), progress, command, cancellationToken);
    }
}
