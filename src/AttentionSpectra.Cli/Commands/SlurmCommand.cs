using System.CommandLine;
using System.Globalization;
using System.Text;

namespace AttentionSpectra.Cli.Commands;

/// <summary><c>attnspec slurm COMMAND [options] --array N</c>: print (or write) a submit script that runs a
/// shardable command as a Slurm job array of N tasks plus a merge job that starts when every task succeeded
/// (<c>--dependency=afterok</c>). Time and memory requests come from the command's cost model.</summary>
public static class SlurmCommand
{
    /// <summary>The command.</summary>
    public static Command Create(Func<RootCommand> root)
    {
        var array = new Option<int>("--array") { Description = "Number of array tasks (shards).", Required = true };
        var write = new Option<string?>("--write") { Description = "Write the script to this file instead of stdout." };
        var time = new Option<string?>("--time") { Description = "Override the per-task time limit (Slurm syntax, e.g. 02:00:00)." };
        var mem = new Option<string?>("--mem") { Description = "Override the per-task memory request (Slurm syntax, e.g. 4G)." };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition to submit to." };
        var binary = new Option<string?>("--binary") { Description = "Path of attnspec on the cluster (default: this one)." };
        var cmd = new Command("slurm", "Print an sbatch submit script that runs a shardable command (" +
                                       "pca sweep, icl sweep, rmt phase, rmt pooling, kpca audit) as a job array plus a merge job.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        foreach (var o in new Option[] { array, write, time, mem, partition, binary }) cmd.Options.Add(o);
        var words = new Argument<string[]>("COMMAND") { Description = "The command and its options.", Arity = ArgumentArity.OneOrMore };
        cmd.Arguments.Add(words);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            int n = pr.GetValue(array);
            if (n < 1 || n > 100_000) throw new ArgumentException($"--array must lie in [1, 100000], got {n}.");
            var wrapped = (pr.GetValue(words) ?? []).Concat(pr.UnmatchedTokens).ToList();
            var inner = root().Parse(wrapped.ToArray());
            if (inner.Errors.Count > 0) throw new ArgumentException($"the wrapped command is invalid: {inner.Errors[0].Message}");
            string path = ShardOptions.CommandPath(inner);
            var estimator = ShardOptions.EstimatorFor(path)
                ?? throw new ArgumentException($"'{path}' cannot be sharded; shardable commands: {string.Join(", ", ShardOptions.Commands)}.");
            var est = estimator(inner);
            var jobArgs = ShardOptions.JobArguments(inner);
            string outDir = Path.GetFullPath(ctx.OutDir);
            string script = Script(path, jobArgs, est, n, outDir, pr.GetValue(time), pr.GetValue(mem),
                pr.GetValue(partition), pr.GetValue(binary) ?? DefaultBinary());
            if (pr.GetValue(write) is { } file)
            {
                File.WriteAllText(file, script);
                Ui.Info(ctx, $"wrote {file}: {est.Units} units ({est.UnitDescription}) over {n} tasks; submit with: bash {file}");
            }
            else Console.Out.Write(script);
            return 0;
        });
        return cmd;
    }

    private static string DefaultBinary()
    {
        string? p = Environment.ProcessPath;
        if (p != null && !Path.GetFileNameWithoutExtension(p).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return p;
        return "dotnet " + Quote(Path.Combine(AppContext.BaseDirectory, "attnspec.dll"));
    }

    /// <summary>Shell-quote one word (single quotes).</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static string Duration(double seconds)
    {
        long s = (long)Math.Ceiling(Math.Max(seconds, 300));
        return string.Create(CultureInfo.InvariantCulture, $"{s / 3600:D2}:{s % 3600 / 60:D2}:{s % 60:D2}");
    }

    /// <summary>The submit script (see the command's description).</summary>
    public static string Script(string command, IReadOnlyList<string> args, ShardEstimate est, int tasks, string outDir,
        string? time, string? mem, string? partition, string binary)
    {
        int perTask = (est.Units + tasks - 1) / tasks;
        // 3x the modelled time (shared nodes, slower cores), at least 5 minutes; memory + 512 MiB for the runtime.
        string t = time ?? Duration(3 * perTask * est.SecondsPerUnit + 60);
        long mib = (long)Math.Ceiling(1.5 * est.BytesPerTask / (1024.0 * 1024.0)) + 512;
        string m = mem ?? $"{mib}M";
        string name = "attnspec-" + command.Replace(' ', '-');
        string cmdLine = string.Join(' ', command.Split(' ').Concat(args).Select(Quote));
        var sb = new StringBuilder();
        sb.Append($$"""
            #!/usr/bin/env bash
            # attnspec on Slurm: '{{command}}' as a job array of {{tasks}} task(s), then a merge job (afterok).
            # Work: {{est.Units}} units ({{est.UnitDescription}}), about {{perTask}} per task; modelled {{est.SecondsPerUnit:G3}} s
            # and {{est.BytesPerTask / 1048576.0:F0}} MiB per unit on 2 cores. Requests: time {{t}}, memory {{m}} per task.
            # Submit:  bash THIS_FILE          (add --wait to block until the merge job has finished)
            # Re-run after a pre-emption or time-out: submit again; finished units are kept (--resume).
            set -euo pipefail
            ATTNSPEC="${ATTNSPEC:-{{binary}}}"
            OUT={{Quote(outDir)}}
            WAIT=""
            if [ "${1:-}" = "--wait" ]; then WAIT="--wait"; fi
            mkdir -p "$OUT/shards/logs"

            """);
        string part = partition != null ? $"#SBATCH --partition={{partition}}\n" : "";
        sb.Append($$"""
            array_id=$(sbatch --parsable <<SBATCH
            #!/usr/bin/env bash
            #SBATCH --job-name={{name}}
            #SBATCH --array=0-{{tasks - 1}}
            #SBATCH --ntasks=1
            #SBATCH --cpus-per-task=2
            #SBATCH --time={{t}}
            #SBATCH --mem={{m}}
            {{part}}#SBATCH --output=$OUT/shards/logs/{{name}}-%A_%a.out
            exec $ATTNSPEC {{cmdLine}} --out "$OUT" --shards {{tasks}} --resume --quiet
            SBATCH
            )
            array_id="${array_id%%;*}"
            echo "submitted array job $array_id ({{tasks}} tasks)"
            merge_id=$(sbatch --parsable $WAIT --dependency=afterok:$array_id <<SBATCH
            #!/usr/bin/env bash
            #SBATCH --job-name={{name}}-merge
            #SBATCH --ntasks=1
            #SBATCH --cpus-per-task=2
            #SBATCH --time={{Duration(600)}}
            #SBATCH --mem={{m}}
            {{part}}#SBATCH --output=$OUT/shards/logs/{{name}}-merge-%j.out
            exec $ATTNSPEC merge "$OUT" --quiet
            SBATCH
            )
            echo "submitted merge job ${merge_id%%;*} (runs after $array_id succeeds)"

            """);
        return sb.ToString().Replace("\r\n", "\n");
    }
}
