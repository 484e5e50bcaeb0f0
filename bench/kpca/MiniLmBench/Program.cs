using System.Diagnostics;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using Microsoft.ML.OnnxRuntime.Tensors;

// MiniLM (6 blocks x 12 heads) on 2 inputs of 155 token ids: time of each stage and peak RSS.
// Usage: dotnet run -c Release --project bench/kpca/MiniLmBench --
//        [--tokens 155] [--null-perms 8] [--stage all|extract]
int tokens = 155, perms = 8;
string stage = "all";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--tokens") tokens = int.Parse(args[i + 1]);
    else if (args[i] == "--null-perms") perms = int.Parse(args[i + 1]);
    else if (args[i] == "--stage") stage = args[i + 1];
}
string dir = Path.Combine(Path.GetTempPath(), "attnspec-bench-minilm");
string model = Path.Combine(dir, "model.onnx");
if (!File.Exists(model)) BuiltinModels.MaterializeMiniLm(dir); // run again for a clean peak-memory figure
static double RssMb() { using var p = Process.GetCurrentProcess(); return p.WorkingSet64 / 1048576.0; }
static double CpuS() { using var p = Process.GetCurrentProcess(); return p.TotalProcessorTime.TotalSeconds; }
static double PeakMb() { using var p = Process.GetCurrentProcess(); return p.PeakWorkingSet64 / 1048576.0; }
Console.Error.WriteLine($"start rss={RssMb():F0} MB");
var feeds = new List<Dictionary<string, Tensor<float>>>();
for (int k = 0; k < 2; k++)
{
    var rng = new Rng((ulong)k + 1);
    var ids = new float[tokens];
    for (int t = 0; t < tokens; t++) ids[t] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1996 + rng.NextInt(27000);
    feeds.Add(new()
    {
        ["input_ids"] = new DenseTensor<float>(ids, [1, tokens]),
        ["attention_mask"] = new DenseTensor<float>(Enumerable.Repeat(1f, tokens).ToArray(), [1, tokens]),
        ["token_type_ids"] = new DenseTensor<float>(new float[tokens], [1, tokens]),
    });
}
var total = Stopwatch.StartNew();
var sw = Stopwatch.StartNew();
double cpu0 = CpuS();
using var ex = new OnnxAttentionExtractor(model);
double load = sw.Elapsed.TotalSeconds, loadCpu = CpuS() - cpu0;
cpu0 = CpuS();
Console.Error.WriteLine($"after load rss={RssMb():F0} peak={PeakMb():F0} MB");
sw.Restart();
var heads = new List<CapturedHead>();
for (int k = 0; k < 2; k++) heads.AddRange(ex.Extract(feeds[k], $"text-{k}").Heads);
double extract = sw.Elapsed.TotalSeconds, extractCpu = CpuS() - cpu0;
sw.Restart();
cpu0 = CpuS();
for (int k = 0; k < 2; k++) ex.Extract(feeds[k], $"text-{k}");
double extractWarm = sw.Elapsed.TotalSeconds, extractWarmCpu = CpuS() - cpu0;
Console.Error.WriteLine($"after extract rss={RssMb():F0} peak={PeakMb():F0} MB");
double audit = 0, auditCpu = 0;
if (stage == "all")
{
    sw.Restart();
    cpu0 = CpuS();
    ModelAudit.AuditHeads(heads, new Rng(2), new AuditOptions(NullPermutations: perms));
    audit = sw.Elapsed.TotalSeconds;
    auditCpu = CpuS() - cpu0;
}
Console.WriteLine($"minilm tokens={tokens} heads={heads.Count} null_perms={perms} load_s={load:F2} " +
                  $"extract_s={extract:F2} extract_again_s={extractWarm:F2} " +
                  $"audit_s={audit:F2} total_s={total.Elapsed.TotalSeconds:F2} " +
                  $"peak_rss_mb={PeakMb():F0} cpu_s: load={loadCpu:F2} extract={extractCpu:F2} " +
                  $"extract_again={extractWarmCpu:F2} audit={auditCpu:F2}");
