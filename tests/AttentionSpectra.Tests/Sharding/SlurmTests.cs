using System.Diagnostics;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Sharding;

/// <summary>Runs only where a one-node Slurm can be started (root with apt, or Slurm installed). CI installs and
/// starts it through scripts/slurm-local.sh and must run these tests.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    /// <summary>Skip outside CI where Slurm cannot be installed.</summary>
    public SlurmFactAttribute()
    {
        bool installed = File.Exists("/usr/sbin/slurmctld") && File.Exists("/usr/bin/sbatch") && File.Exists("/usr/sbin/munged");
        bool root = Environment.UserName == "root";
        if (!installed && !root && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "Slurm is not installed and cannot be (not root): run scripts/slurm-local.sh install as root.";
    }
}

/// <summary>Byte-identity of sharded runs and merges, in process (N = 1, 3, 4), after a killed shard, and through
/// a real Slurm job array.</summary>
public partial class ShardedCommandTests
{
    /// <summary>Small instances of every sharded command (fast; each writes tables, summaries and PNGs).</summary>
    public static readonly TheoryData<string, string[]> Jobs = new()
    {
        { "rmt", ["rmt", "phase", "--d", "60", "--V", "120", "--N", "150", "--T", "4", "--points", "5", "--trials", "3"] },
        { "pca", ["pca", "sweep", "--over", "L", "--values", "3,5,8", "--d", "4", "--steps", "40", "--seeds", "2", "--batch", "16"] },
        { "icl", ["icl", "sweep", "--over", "n", "--values", "2,4,6", "--d", "3", "--L", "6", "--steps", "30", "--seeds", "2",
            "--batch", "8"] },
        { "pooling", ["rmt", "pooling", "--d", "60", "--V", "120", "--N", "150", "--T", "6", "--corr", "exp:0.8", "--trials", "3",
            "--tau", "2"] },
    };

    internal static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "AttentionSpectra.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>Every result file under <paramref name="dir"/> except the shard store, by relative path.</summary>
    internal static SortedDictionary<string, byte[]> Results(string dir) =>
        new(Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).StartsWith("shards", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(dir, f), Contents), StringComparer.Ordinal);

    /// <summary>A file's bytes; for a manifest, without its finishing time (the only field that names when it ran);
    /// for a command's HTML page, without its run section (command line, start time, timings).</summary>
    private static byte[] Contents(string f) => Path.GetFileName(f) == "manifest.json"
        ? System.Text.Encoding.UTF8.GetBytes(string.Join('\n',
            File.ReadAllLines(f).Where(l => !l.Contains("\"finishedUtc\""))))
        : f.EndsWith(".html", StringComparison.Ordinal)
            ? System.Text.Encoding.UTF8.GetBytes(RunSection().Replace(File.ReadAllText(f), ""))
            : File.ReadAllBytes(f);

    [System.Text.RegularExpressions.GeneratedRegex("<section id=\"run\">.*?</section>",
        System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex RunSection();

    internal static void AssertSameResults(string expectedDir, string actualDir)
    {
        var a = Results(expectedDir);
        var b = Results(actualDir);
        Assert.NotEmpty(a);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (k, v) in a) Assert.True(v.AsSpan().SequenceEqual(b[k]), $"{k} differs between the single-process run and the merge");
    }

    private static void Ok(CliRunner.Result r, string what) =>
        Assert.True(r.ExitCode == 0, $"{what}: exit {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");

    [Theory]
    [MemberData(nameof(Jobs))]
    public void ShardedAndMerged_IsByteIdentical_ForN1_3_4_AndAfterAKilledShard(string name, string[] job) =>
        CheckShardedJob(name, job);

    /// <summary>Runs <paramref name="job"/> in one process, as N = 1, 3 and 4 shards merged, and as 3 shards of which
    /// one is "killed" (some of its units removed) and resumed; every merge must equal the single-process run byte for
    /// byte.</summary>
    internal static void CheckShardedJob(string name, string[] job)
    {
        string root = Directory.CreateTempSubdirectory("shard-" + name).FullName;
        try
        {
            string single = Path.Combine(root, "single");
            Ok(CliRunner.Run([.. job, "--out", single, "--quiet"]), "single-process run");
            foreach (int n in new[] { 1, 3, 4 })
            {
                string outDir = Path.Combine(root, $"n{n}");
                for (int i = 0; i < n; i++) Ok(CliRunner.Run([.. job, "--out", outDir, "--shard", $"{i}/{n}", "--quiet"]), $"shard {i}/{n}");
                if (n > 1) Ok(CliRunner.Run(["merge", outDir, "--quiet"]), "merge");
                AssertSameResults(single, outDir);
            }
            // a shard killed half-way: remove some of its stored units, then resume and merge
            string resumed = Path.Combine(root, "resumed");
            for (int i = 0; i < 3; i++) Ok(CliRunner.Run([.. job, "--out", resumed, "--shard", $"{i}/3", "--quiet"]), $"shard {i}/3");
            var store = Directory.GetDirectories(Path.Combine(resumed, "shards")).Single();
            var units = Directory.GetFiles(store, "unit-*.json").Order(StringComparer.Ordinal).ToArray();
            foreach (var u in units.Where((_, k) => k % 3 == 1 && k / 3 % 2 == 0)) File.Delete(u); // some of shard 1's
            var kept = units.Where(File.Exists).ToDictionary(u => u, File.GetLastWriteTimeUtc);
            var incomplete = CliRunner.Run(["merge", resumed, "--quiet"]);
            Assert.Equal(2, incomplete.ExitCode);
            Assert.Contains("missing", incomplete.StdErr);
            Ok(CliRunner.Run([.. job, "--out", resumed, "--shard", "1/3", "--resume", "--quiet"]), "resumed shard");
            foreach (var (u, t) in kept) Assert.Equal(t, File.GetLastWriteTimeUtc(u)); // present units were skipped
            Ok(CliRunner.Run(["merge", resumed, "--quiet"]), "merge after resume");
            AssertSameResults(single, resumed);
        }
        finally { Directory.Delete(root, true); }
    }

    [SlurmFact]
    public void RealSlurm_JobArraysOfSweepsPhaseDiagramsAndPooling_MergeByteIdentically()
    {
        string repo = RepoRoot();
        string root = Directory.CreateTempSubdirectory("slurm").FullName;
        string slurmDir = Path.Combine(root, "cluster");
        var env = new Dictionary<string, string> { ["SLURM_LOCAL_DIR"] = slurmDir, ["SLURM_CONF"] = Path.Combine(slurmDir, "slurm.conf") };
        try
        {
            Bash($"bash {Q(Path.Combine(repo, "scripts", "slurm-local.sh"))} start", env, TimeSpan.FromMinutes(8));
            env["ATTNSPEC"] = $"dotnet {CliRunner.DllPath}";
            foreach (var (name, job) in Jobs.Select(j => ((string)j[0], (string[])j[1])))
            {
                string single = Path.Combine(root, name + "-single"), onSlurm = Path.Combine(root, name + "-slurm");
                Ok(CliRunner.Run([.. job, "--out", single, "--quiet"]), "single-process run");
                string script = Path.Combine(root, name + ".sh");
                Ok(CliRunner.Run(["slurm", .. job, "--array", "4", "--out", onSlurm, "--write", script, "--quiet"]), "slurm script");
                Bash($"bash {Q(script)} --wait", env, TimeSpan.FromMinutes(10));
                AssertSameResults(single, onSlurm);
                Assert.Equal(4, Directory.GetFiles(Path.Combine(onSlurm, "shards", "logs")).Count(f => !f.Contains("merge")));
            }
        }
        finally
        {
            try { Bash($"bash {Q(Path.Combine(repo, "scripts", "slurm-local.sh"))} stop", env, TimeSpan.FromMinutes(1)); }
            finally { Directory.Delete(root, true); }
        }
    }

    private static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static void Bash(string command, Dictionary<string, string> env, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException($"{command} did not finish in {timeout}"); }
        Assert.True(p.ExitCode == 0, $"{command}: exit {p.ExitCode}\n{se.Result}\n{so.Result}");
    }
}
