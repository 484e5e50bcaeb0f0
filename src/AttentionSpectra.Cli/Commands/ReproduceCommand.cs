using System.CommandLine;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Cli.Commands;

/// <summary><c>attnspec reproduce</c>: the main job. Runs a small built-in default of each study (A, B, C) and
/// writes every table, summary and figure under --out.</summary>
public static class ReproduceCommand
{
    public static Command Create()
    {
        var cmd = new Command("reproduce", "Run a small built-in default of all three studies (A: attention as PCA, " +
                                           "B: RMT of attention pooling, C: kernel-PCA audit) and write results under --out.");
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Ui.Info(ctx, "== Study A: attention as PCA ==");
            var studyA = ctx.Sink("study-a");
            var resultA = Ui.WithProgress(ctx, p => AttentionSpectra.Studies.PcaAlignment.PcaReproduce.Run(ctx.Seed, p));
            foreach (var t in AttentionSpectra.Reporting.PcaFigureReports.WriteReproduce(resultA, studyA)) Ui.Table(ctx, t);
            Ui.Files(ctx, studyA);
            Ui.Info(ctx, "== Study B: random-matrix theory of attention pooling ==");
            var studyB = ctx.Sink("study-b");
            PooledReports.Write(Ui.WithProgress(ctx, p => PooledExperiments.Reproduce(new Rng(ctx.Seed), p)), studyB);
            Ui.Files(ctx, studyB);
            Ui.Info(ctx, "== Study C: kernel-PCA audit of self-attention ==");
            KpcaCommands.Reproduce(ctx);
            Ui.Info(ctx, $"reproduce finished in {sw.Elapsed.TotalSeconds:F1} s; results in {Path.GetFullPath(ctx.OutDir)}");
            return 0;
        });
        return cmd;
    }
}
