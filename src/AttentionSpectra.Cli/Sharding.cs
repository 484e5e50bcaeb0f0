using System.CommandLine;
using System.CommandLine.Parsing;
using AttentionSpectra.Sharding;

namespace AttentionSpectra.Cli;

/// <summary>Cost of a sharded command, for the Slurm script's resource requests.</summary>
/// <param name="Units">Work units of the whole job.</param>
/// <param name="UnitDescription">What one unit is.</param>
/// <param name="SecondsPerUnit">Measured or modelled wall time of one unit on one 2-core task.</param>
/// <param name="BytesPerTask">Peak memory of one task.</param>
public sealed record ShardEstimate(int Units, string UnitDescription, double SecondsPerUnit, long BytesPerTask);

/// <summary>The options that make a command shardable (<c>--shard I/N</c>, <c>--shards N</c>, <c>--resume</c>,
/// <c>--merge</c>) and the registry of shardable commands with their cost models.</summary>
public sealed class ShardOptions
{
    private static readonly Dictionary<string, Func<ParseResult, ShardEstimate>> Registry = new(StringComparer.Ordinal);

    /// <summary>Option names that describe how the job is split, not what it computes (left out of the plan).</summary>
    public static readonly string[] SplitOptionNames = ["--shard", "--shards", "--resume", "--merge", "--out", "--quiet"];

    /// <summary><c>--shard I/N</c>.</summary>
    public readonly Option<string?> Shard = new("--shard")
    {
        Description = "Compute only shard I/N (0-based) of the work units and store them under OUT/shards; " +
                      "default: from SLURM_ARRAY_TASK_ID/COUNT (or JOB_COMPLETION_INDEX with --shards) when set.",
    };

    /// <summary><c>--shards N</c>.</summary>
    public readonly Option<int?> Shards = new("--shards")
    {
        Description = "Number of shards when it comes from a scheduler index (Kubernetes JOB_COMPLETION_INDEX).",
    };

    /// <summary><c>--resume</c>.</summary>
    public readonly Option<bool> Resume = new("--resume")
    {
        Description = "Skip work units already stored under OUT/shards (continue a pre-empted or killed run).",
    };

    /// <summary><c>--merge</c>.</summary>
    public readonly Option<bool> Merge = new("--merge")
    {
        Description = "Compute nothing: build the tables, summaries and figures from the units all shards stored.",
    };

    /// <summary>Add the options to <paramref name="command"/> and register its cost model under
    /// <paramref name="key"/> (the command path, e.g. <c>rmt phase</c>).</summary>
    public void AddTo(Command command, string key, Func<ParseResult, ShardEstimate> estimate)
    {
        command.Options.Add(Shard);
        command.Options.Add(Shards);
        command.Options.Add(Resume);
        command.Options.Add(Merge);
        Registry[key] = estimate;
    }

    /// <summary>Cost model of a registered command path, or null.</summary>
    public static Func<ParseResult, ShardEstimate>? EstimatorFor(string key) =>
        Registry.TryGetValue(key, out var f) ? f : null;

    /// <summary>Names of the shardable commands.</summary>
    public static IEnumerable<string> Commands => Registry.Keys.Order(StringComparer.Ordinal);

    /// <summary>The command path of a parse result, e.g. <c>rmt phase</c>.</summary>
    public static string CommandPath(ParseResult pr)
    {
        var names = new List<string>();
        for (SymbolResult? r = pr.CommandResult; r is CommandResult c && c.Parent != null; r = c.Parent)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The command's own arguments as typed, without the split options and the command words.</summary>
    public static List<string> JobArguments(ParseResult pr)
    {
        var tokens = pr.Tokens.SkipWhile(t => t.Type == TokenType.Command).ToList();
        var kept = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Type == TokenType.Option && SplitOptionNames.Contains(t.Value))
            {
                while (i + 1 < tokens.Count && tokens[i + 1].Type == TokenType.Argument) i++;
                continue;
            }
            kept.Add(t.Value);
        }
        return kept;
    }

    /// <summary>Resolve how this process runs the job: in process, as a shard, or as a merge.</summary>
    /// <param name="pr">The parse result.</param>
    /// <param name="ctx">Run context (output folder).</param>
    /// <param name="storeName">Folder name under OUT/shards, e.g. <c>rmt-phase</c>.</param>
    public ShardMode Resolve(ParseResult pr, RunContext ctx, string storeName)
    {
        string store = Path.Combine(ctx.OutDir, "shards", storeName);
        bool resume = pr.GetValue(Resume);
        if (pr.GetValue(Merge)) return new ShardMode(ShardSpec.Single, store, false, true);
        int? shards = pr.GetValue(Shards);
        if (shards is < 1) throw new ArgumentException($"--shards must be at least 1, got {shards}.");
        ShardSpec? spec = pr.GetValue(Shard) is { } text
            ? ShardSpec.Parse(text)
            : ShardSpec.FromEnvironment(Environment.GetEnvironmentVariable, shards);
        if (spec is { } s && shards is int n && s.Count != n)
            throw new ArgumentException($"--shard {s} disagrees with --shards {n}.");
        if (spec is null && shards is > 1)
            throw new ArgumentException("--shards N needs --shard I/N or a scheduler index (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX).");
        var shard = spec ?? ShardSpec.Single;
        if (shard.IsSingle && !resume) return ShardMode.InProcess;
        return new ShardMode(shard, store, resume, false);
    }

    /// <summary>The plan of the job being run.</summary>
    public static ShardPlan Plan(ParseResult pr, int units, string unitDescription) =>
        new(CommandPath(pr), JobArguments(pr), units, unitDescription);

    /// <summary>Tell the user what a shard that only stored its units did.</summary>
    public static void ReportStored(RunContext ctx, ShardMode mode, ShardPlan plan)
    {
        Ui.Info(ctx, $"shard {mode.Shard}: stored its units of {plan.TotalUnits} ({plan.UnitDescription}) in " +
                     $"{mode.StoreDirectory}; when every shard is done, run: attnspec merge {ctx.OutDir}");
    }
}
