using System.CommandLine;
using System.Text.Json;
using AttentionSpectra.Cli;
using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Numerics;
using AttentionSpectra.Models;

namespace AttentionSpectra.Tests.KernelPcaAudit;

public class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Run the 'kpca' commands in-process through the CLI host.</summary>
    internal static int Run(params string[] args)
    {
        var root = new RootCommand("test");
        GlobalOptions.AddTo(root);
        foreach (var c in KpcaCommands.Create()) root.Subcommands.Add(c);
        return CliHost.Run(root, args);
    }

    [Fact]
    public void Synthetic_WritesTablesAndTheKpcaHeadScoresOne()
    {
        string o = Path.Combine(_dir, "o1");
        Assert.Equal(0, Run("kpca", "synthetic", "--tokens", "24", "--dim", "12", "--head-dim", "4", "--trials", "2",
            "--cosine-signs", "aligned", "--out", o, "--quiet"));
        var rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "kpca", "synthetic-range.json"))).RootElement;
        var kpca = rows.EnumerateArray().Single(r => r.GetProperty("head_kind").GetString() == "V = V_KPCA");
        Assert.Equal(1.0, kpca.GetProperty("linear_cka").GetDouble(), 9);
        Assert.Equal(1.0, kpca.GetProperty("optimal_cos").GetDouble(), 9);
        Assert.True(File.Exists(Path.Combine(o, "kpca", "synthetic-kpca-metrics.png")));
    }

    [Fact]
    public void Audit_OnSafetensorsWithTokenIds_AndErrorsExitWith2()
    {
        string model = Path.Combine(_dir, "bert.safetensors");
        SafeTensorsFile.Write(model, SafeTensorsTests.TinyBert(new Rng(9)));
        string ids = Path.Combine(_dir, "ids.txt");
        File.WriteAllText(ids, "1 2 3 4 5 6 7 8 9 10");
        string o = Path.Combine(_dir, "o2");
        Assert.Equal(0, Run("kpca", "audit", "--model", model, "--inputs", ids, "--num-heads", "2", "--format", "csv", "--out", o, "--quiet"));
        var csv = File.ReadAllLines(Path.Combine(o, "kpca", "audit-heads.csv"));
        Assert.Equal(1 + 2 * 2, csv.Length); // header + 2 layers x 2 heads
        Assert.True(File.Exists(Path.Combine(o, "kpca", "audit-summary.json")));

        Assert.Equal(2, Run("kpca", "audit", "--model", Path.Combine(_dir, "missing.onnx"), "--quiet", "--out", o));
        Assert.Equal(2, Run("kpca", "audit", "--model", model, "--layers", "7", "--num-heads", "2", "--quiet", "--out", o));
        Assert.Equal(2, Run("kpca", "audit", "--model", model, "--heads", "x-y", "--quiet", "--out", o));
        Assert.Equal(2, Run("kpca", "synthetic", "--head-dim", "0", "--quiet", "--out", o));
    }
}
