namespace AttentionSpectra.Sharding;

/// <summary>How a command runs its units: all in this process (the default), one shard of them into a unit store,
/// or none (merge only: aggregate what the shards wrote).</summary>
/// <param name="Shard">Which units this process computes.</param>
/// <param name="StoreDirectory">Where unit results go (null: keep them in memory, single-process run).</param>
/// <param name="Resume">Skip units already present in the store.</param>
/// <param name="MergeOnly">Compute nothing; read every unit from the store and aggregate.</param>
public sealed record ShardMode(ShardSpec Shard, string? StoreDirectory, bool Resume, bool MergeOnly)
{
    /// <summary>Single process, nothing stored.</summary>
    public static ShardMode InProcess => new(ShardSpec.Single, null, false, false);
}

/// <summary>Runs the units of a job under a <see cref="ShardMode"/>: computes the units this process owns (in
/// parallel, each from its own index), stores them when sharded, and returns all units' results when this process
/// aggregates. A single-process run and a merge of any sharding return the same values, in unit order, so the
/// tables and figures built from them are byte-identical.</summary>
public static class ShardedRun
{
    /// <summary>Run a job of <paramref name="plan"/>.<see cref="ShardPlan.TotalUnits"/> units.</summary>
    /// <typeparam name="T">Unit result type.</typeparam>
    /// <param name="plan">The job.</param>
    /// <param name="mode">How to run it.</param>
    /// <param name="compute">Computes one unit from its index (must be deterministic in the index).</param>
    /// <param name="progress">Progress over this process's units.</param>
    /// <param name="task">Progress label.</param>
    /// <param name="cancellationToken">Stops between units.</param>
    /// <returns>All results in unit order when this process aggregates; null for a shard that only stored.</returns>
    public static T[]? Run<T>(ShardPlan plan, ShardMode mode, Func<int, T> compute,
        IProgress<ProgressUpdate>? progress = null, string task = "units", CancellationToken cancellationToken = default) =>
        Run<T, object?>(plan, mode, static () => null, (u, _) => compute(u), progress, task, cancellationToken);

    /// <summary>Run a job whose units reuse a per-thread workspace (allocated once per worker thread).</summary>
    /// <typeparam name="T">Unit result type.</typeparam>
    /// <typeparam name="TState">Per-thread workspace type.</typeparam>
    /// <param name="plan">The job.</param>
    /// <param name="mode">How to run it.</param>
    /// <param name="workspace">Creates a worker's workspace.</param>
    /// <param name="compute">Computes one unit from its index and a workspace (deterministic in the index).</param>
    /// <param name="progress">Progress over this process's units.</param>
    /// <param name="task">Progress label.</param>
    /// <param name="cancellationToken">Stops between units.</param>
    /// <returns>All results in unit order when this process aggregates; null for a shard that only stored.</returns>
    public static T[]? Run<T, TState>(ShardPlan plan, ShardMode mode, Func<TState> workspace, Func<int, TState, T> compute,
        IProgress<ProgressUpdate>? progress = null, string task = "units",
        CancellationToken cancellationToken = default) =>
        Run(plan, mode, workspace, compute, -1, progress, task, cancellationToken);

    /// <summary>Run a job whose units reuse a per-thread workspace, at most <paramref name="maxDegreeOfParallelism"/>
    /// units at once. A workspace that is <see cref="IDisposable"/> is disposed when its worker finishes.</summary>
    /// <typeparam name="T">Unit result type.</typeparam>
    /// <typeparam name="TState">Per-thread workspace type.</typeparam>
    /// <param name="plan">The job.</param>
    /// <param name="mode">How to run it.</param>
    /// <param name="workspace">Creates a worker's workspace.</param>
    /// <param name="compute">Computes one unit from its index and a workspace (deterministic in the index).</param>
    /// <param name="maxDegreeOfParallelism">Units computed at once (≤ 0: one per processor); 1 for units that are
    /// parallel themselves or hold a large resource (a loaded model).</param>
    /// <param name="progress">Progress over this process's units.</param>
    /// <param name="task">Progress label.</param>
    /// <param name="cancellationToken">Stops between units.</param>
    /// <returns>All results in unit order when this process aggregates; null for a shard that only stored.</returns>
    public static T[]? Run<T, TState>(ShardPlan plan, ShardMode mode, Func<TState> workspace,
        Func<int, TState, T> compute, int maxDegreeOfParallelism, IProgress<ProgressUpdate>? progress = null,
        string task = "units", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(compute);
        mode.Shard.Validated();
        UnitStore<T>? store = mode.StoreDirectory is { } dir ? new UnitStore<T>(dir, plan) : null;
        if (mode.MergeOnly)
        {
            if (store == null) throw new ArgumentException("A merge needs the store directory of the shards.");
            return store.ReadAll();
        }
        var mine = mode.Shard.Units(plan.TotalUnits)
            .Where(u => !(mode.Resume && store != null && store.Has(u))).ToArray();
        var results = new T[plan.TotalUnits];
        int done = 0;
        progress?.Report(new ProgressUpdate(task, 0, mine.Length));
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };
        try
        {
            Parallel.For(0, mine.Length, options, workspace, (k, _, ws) =>
            {
                int u = mine[k];
                var r = compute(u, ws);
                if (store != null) store.Write(u, r);
                else results[u] = r;
                progress?.Report(new ProgressUpdate(task, Interlocked.Increment(ref done), mine.Length));
                return ws;
            }, ws => (ws as IDisposable)?.Dispose());
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
        if (store == null) return results;
        return mode.Shard.IsSingle && store.Missing().Count == 0 ? store.ReadAll() : null;
    }
}
