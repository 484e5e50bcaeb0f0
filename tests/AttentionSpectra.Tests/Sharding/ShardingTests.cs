using AttentionSpectra.Numerics;
using AttentionSpectra.Sharding;

namespace AttentionSpectra.Tests.Sharding;

public class ShardingTests
{
    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    [InlineData(" 2 / 7 ", 2, 7)]
    public void Parse_AcceptsIOverN(string text, int i, int n) => Assert.Equal(new ShardSpec(i, n), ShardSpec.Parse(text));

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/4")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    public void Parse_RejectsMalformed(string text) => Assert.Throws<FormatException>(() => ShardSpec.Parse(text));

    [Fact]
    public void Environment_Slurm_SubtractsArrayMin_AndKubernetesNeedsCount()
    {
        var slurm = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "7", ["SLURM_ARRAY_TASK_MIN"] = "5", ["SLURM_ARRAY_TASK_COUNT"] = "3" };
        Assert.Equal(new ShardSpec(2, 3), ShardSpec.FromEnvironment(k => slurm.GetValueOrDefault(k)));
        var bad = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "3", ["SLURM_ARRAY_TASK_COUNT"] = "3" };
        Assert.Throws<FormatException>(() => ShardSpec.FromEnvironment(k => bad.GetValueOrDefault(k)));
        var k8s = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "1" };
        Assert.Equal(new ShardSpec(1, 4), ShardSpec.FromEnvironment(k => k8s.GetValueOrDefault(k), 4));
        Assert.Throws<FormatException>(() => ShardSpec.FromEnvironment(k => k8s.GetValueOrDefault(k)));
        Assert.Null(ShardSpec.FromEnvironment(_ => null));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(17)]
    public void Units_PartitionTheJob(int n)
    {
        const int total = 50;
        var all = Enumerable.Range(0, n).SelectMany(i => new ShardSpec(i, n).Units(total)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, total), all);
    }

    public sealed record Unit(int Index, double Value, double[] Draws);

    private static Unit Compute(int u, ulong seed)
    {
        var rng = new Rng(seed).Split((ulong)u);
        var draws = new double[5];
        rng.FillGaussian(draws);
        return new Unit(u, draws.Sum() / 3.0, draws);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void ShardedThenMerged_EqualsInProcess_BitForBit(int n)
    {
        var plan = new ShardPlan("test job", ["--x", "1"], 23, "unit");
        var direct = ShardedRun.Run(plan, ShardMode.InProcess, u => Compute(u, 99))!;
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            for (int i = 0; i < n; i++)
            {
                var r = ShardedRun.Run(plan, new ShardMode(new ShardSpec(i, n), dir, false, false), u => Compute(u, 99));
                if (n > 1) Assert.Null(r);
            }
            var merged = ShardedRun.Run<Unit>(plan, new ShardMode(ShardSpec.Single, dir, false, true), _ => throw new InvalidOperationException())!;
            Assert.Equal(direct.Length, merged.Length);
            for (int u = 0; u < direct.Length; u++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(direct[u].Value), BitConverter.DoubleToInt64Bits(merged[u].Value));
                Assert.Equal(direct[u].Draws, merged[u].Draws);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Resume_SkipsStoredUnits_AndMergeRefusesIncompleteOrForeignStores()
    {
        var plan = new ShardPlan("test job", [], 10, "unit");
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            int computed = 0;
            // a shard "killed" after some units: only units 0..3 of shard 0/2 exist
            var store = new UnitStore<Unit>(dir, plan);
            foreach (int u in new[] { 0, 2 }) store.Write(u, Compute(u, 5));
            File.WriteAllText(Path.Combine(dir, "unit-000004.json.123.abc.tmp"), "{ half"); // a torn temp file is ignored
            var merge = new ShardMode(ShardSpec.Single, dir, false, true);
            var e = Assert.Throws<InvalidDataException>(() => ShardedRun.Run<Unit>(plan, merge, _ => null!));
            Assert.Contains("8 of 10 units are missing", e.Message);
            ShardedRun.Run(plan, new ShardMode(new ShardSpec(0, 2), dir, true, false), u => { Interlocked.Increment(ref computed); return Compute(u, 5); });
            Assert.Equal(3, computed); // units 4, 6, 8 — 0 and 2 were kept
            ShardedRun.Run(plan, new ShardMode(new ShardSpec(1, 2), dir, true, false), u => Compute(u, 5));
            var all = ShardedRun.Run<Unit>(plan, merge, _ => null!)!;
            Assert.Equal(Enumerable.Range(0, 10), all.Select(x => x.Index));
            var other = plan with { Arguments = ["--seed", "2"] };
            Assert.Throws<InvalidDataException>(() => new UnitStore<Unit>(dir, other));
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>Byte-identity of <c>kpca audit</c> (model × input units; the other sharded commands, <c>icl sweep</c>
/// among them, are <see cref="ShardedCommandTests.Jobs"/>) at N = 1, 3 and 4 and after a killed, resumed
/// shard.</summary>
public class ShardedKpcaAuditTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-shard-study-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly string TinyOnnx =
        Path.Combine(AppContext.BaseDirectory, "Fuzz", "Fixtures", "tiny-attention.onnx");

    private string Bert(string name, ulong seed)
    {
        string model = Path.Combine(_dir, name);
        AttentionSpectra.Models.SafeTensorsFile.Write(model, KernelPcaAudit.SafeTensorsTests.TinyBert(new Rng(seed)));
        return model;
    }

    [Fact]
    public void KpcaAudit_OnnxModelOverRandomInputs_ShardedAndMerged_IsByteIdentical() =>
        ShardedCommandTests.CheckShardedJob("kpca-onnx", ["kpca", "audit", "--model", TinyOnnx,
            "--input-shape", "1,7,8", "--random-inputs", "3", "--null-perms", "2"]);

    /// <summary>Two models × (a token-id file, a text they cannot take without a tokenizer, two random inputs): the
    /// skipped text units and the heads' streams after them (counted from the inputs that fit) must merge
    /// exactly.</summary>
    [Fact]
    public void KpcaAudit_TwoModelsWithASkippedInput_ShardedAndMerged_IsByteIdentical()
    {
        string ids = Path.Combine(_dir, "ids.txt");
        File.WriteAllText(ids, "1 2 3 4 5 6 7 8 9 10 11 12");
        ShardedCommandTests.CheckShardedJob("kpca-bert", ["kpca", "audit", "--model", Bert("a.safetensors", 9),
            "--model", Bert("b.safetensors", 10), "--inputs", ids, "--text", "hello", "--random-inputs", "2",
            "--num-heads", "2", "--null-perms", "3", "--tokens", "6"]);
    }

    [Fact]
    public void KpcaAudit_Sharded_RefusesTensorExport()
    {
        var r = Cli.CliRunner.Run(["kpca", "audit", "--model", TinyOnnx, "--input-shape", "1,7,8", "--shard", "0/2",
            "--export-tensors", Path.Combine(_dir, "t"), "--out", Path.Combine(_dir, "o"), "--quiet"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--export-tensors", r.StdErr);
    }
}
