using System.CommandLine;
using AttentionSpectra.Sharding;

namespace AttentionSpectra.Cli.Commands;

/// <summary><c>attnspec merge OUT</c>: build the final tables, summaries and figures of every sharded job under
/// OUT/shards from the units its shards stored. The output is byte-identical to a single-process run of the same
/// command and seed.</summary>
public static class MergeCommand
{
    /// <summary>The command.</summary>
    public static Command Create(Func<RootCommand> root)
    {
        var dir = new Argument<string>("OUT") { Description = "The --out folder the shards wrote into." };
        var cmd = new Command("merge", "Merge the units stored by the shards of sharded commands under OUT/shards " +
                                       "into the final results (identical to a single-process run).");
        cmd.Arguments.Add(dir);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            string outDir = pr.GetValue(dir) ?? throw new ArgumentException("merge needs the OUT folder.");
            string shardsDir = Path.Combine(outDir, "shards");
            if (!Directory.Exists(shardsDir))
                throw new ArgumentException($"{shardsDir} does not exist: no sharded run wrote into {outDir}.");
            var stores = Directory.GetDirectories(shardsDir)
                .Where(d => File.Exists(Path.Combine(d, "plan.json"))).Order(StringComparer.Ordinal).ToList();
            if (stores.Count == 0) throw new ArgumentException($"{shardsDir} holds no shard plans.");
            foreach (var store in stores)
            {
                var plan = UnitStore<object>.ReadPlan(store);
                var args = plan.Command.Split(' ').Concat(plan.Arguments)
                    .Concat(["--merge", "--out", outDir]).Concat(ctx.Quiet ? ["--quiet"] : Array.Empty<string>()).ToArray();
                Ui.Info(ctx, $"merging {plan.Command} ({plan.TotalUnits} units) from {store}");
                int rc = root().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
                if (rc != 0) return rc;
            }
            return 0;
        });
        return cmd;
    }
}
