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
        var scale = new Option<string>("--scale")
        {
            Description = "quick (default: a small run of each study, about a minute) or paper (adds every figure " +
                          "preset of Study A's paper at its own settings; hours on 2 cores).",
            DefaultValueFactory = _ => "quick",
        };
        scale.AcceptOnlyFromAmong("quick", "paper");
        cmd.Options.Add(scale);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var started = DateTimeOffset.UtcNow;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var timings = new List<StepTiming>();
            Ui.Info(ctx, "== Study A: attention as PCA ==");
            var studyA = ctx.Sink("study-a");
            var resultA = Ui.WithProgress(ctx, p => AttentionSpectra.Studies.PcaAlignment.PcaReproduce.Run(ctx.Seed, p));
            foreach (var t in AttentionSpectra.Reporting.PcaFigureReports.WriteReproduce(resultA, studyA)) Ui.Table(ctx, t);
            Ui.Files(ctx, studyA);
            if (pr.GetValue(scale) == "paper") PcaCommands.ReproducePaper(ctx);
            timings.Add(new StepTiming("Study A", sw.Elapsed.TotalSeconds));
            Ui.Info(ctx, "== Study B: random-matrix theory of attention pooling ==");
            var studyB = ctx.Sink("study-b");
            var resultB = Ui.WithProgress(ctx, p => PooledExperiments.Reproduce(new Rng(ctx.Seed), p));
            PooledReports.Write(resultB, studyB);
            studyB.Claims.AddRange(ReproduceReport.StudyBClaims(resultB));
            Ui.Files(ctx, studyB);
            timings.Add(new StepTiming("Study B", sw.Elapsed.TotalSeconds - timings.Sum(t => t.Seconds)));
            Ui.Info(ctx, "== Study C: kernel-PCA audit of self-attention ==");
            var resultC = KpcaCommands.Reproduce(ctx);
            timings.Add(new StepTiming("Study C", sw.Elapsed.TotalSeconds - timings.Sum(t => t.Seconds)));
            var sections = new[]
            {
                ReproduceReport.StudyA(resultA, Path.Combine(ctx.OutDir, "study-a"), ctx.Seed),
                ReproduceReport.StudyB(resultB, Path.Combine(ctx.OutDir, "study-b"), ctx.Seed),
                ReproduceReport.StudyC(resultC.Synthetic, resultC.Ocr?.Summarise(), resultC.OcrSkippedReason,
                    Path.Combine(ctx.OutDir, "study-c"), ctx.Seed),
            };
            timings.Add(new StepTiming("total", sw.Elapsed.TotalSeconds));
            var run = new RunInfo(ctx.CommandLine, CommandPages.VersionText, ctx.Seed, CommandPages.Machine, started,
                timings);
            // the report goes through a staged sink of OUT itself: listed in OUT/manifest.json, replaced by a rerun,
            // never left half-written; it is the page of this folder, so no per-command page is added there
            var top = ctx.Sink("");
            top.BeforeCommit = null;
            string page = top.FinalPath(HtmlReport.Write(top, "attnspec reproduce — claims of the three papers",
                sections, run));
            Ui.Files(ctx, top);
            Ui.Info(ctx, $"reproduce finished in {sw.Elapsed.TotalSeconds:F1} s; report: {Path.GetFullPath(page)}");
            return 0;
        });
        return cmd;
    }
}
