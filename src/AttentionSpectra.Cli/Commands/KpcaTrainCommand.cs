using System.CommandLine;
using System.Text.Json;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.VitTraining;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study C: 'kpca train' — train a small vision transformer and follow the kernel-PCA audit through
/// training.</summary>
public static class KpcaTrainCommand
{
    /// <summary>The 'train' subcommand of 'kpca'.</summary>
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "digits (8x8, shipped) or fashion-mnist (28x28; Debian package dataset-fashion-mnist).",
            DefaultValueFactory = _ => "digits",
        }.AcceptOnlyFromAmong("digits", "fashion-mnist");
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Folder with the Fashion-MNIST IDX files.",
                DefaultValueFactory = _ => ImageDataset.FashionMnistDirectory,
        };
        var maxTrain = new Option<int>("--max-train") { Description = "Fashion-MNIST: training images used.",
            DefaultValueFactory = _ => 60000 };
        var steps = new Option<int>("--steps") { Description = "Adam steps.", DefaultValueFactory = _ => 1500 };
        var batch = new Option<int>("--batch") { Description = "Images per step.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (warm-up, cosine decay).",
            DefaultValueFactory = _ => 3e-3 };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay on weight matrices.",
            DefaultValueFactory = _ => 0.05 };
        var dim = new Option<int>("--dim") { Description = "Embedding width.", DefaultValueFactory = _ => 32 };
        var heads = new Option<int>("--heads") { Description = "Heads per block.", DefaultValueFactory = _ => 4 };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks.", DefaultValueFactory = _ => 2 };
        var mlp = new Option<int>("--mlp-dim") { Description = "MLP hidden width.", DefaultValueFactory = _ => 64 };
        var patch = new Option<int?>("--patch")
        {
            Description = "Patch side (default 2 for digits, 4 for Fashion-MNIST).",
        };
        var every = new Option<int>("--probe-every") { Description = "Probe every K steps.",
            DefaultValueFactory = _ => 100 };
        var probeImages = new Option<int>("--probe-images") { Description = "Test images in the fixed probe batch.",
            DefaultValueFactory = _ => 8 };
        var shift = new Option<int>("--max-shift")
        {
            Description = "Augmentation: random shifts of up to this many pixels (0 = off).",
            DefaultValueFactory = _ => 0,
        };
        var stdQk = new Option<bool>("--standardize-qk")
        {
            Description = "Standardise queries and keys (per token and head) before attention.",
        };
        var cmd = new Command("train",
            "Train a small vision transformer (managed code, hand-derived gradients) and audit every head "
                                       + "on a fixed probe batch every K steps; export it as safetensors that "
                                       + "'kpca audit' reads.");
        foreach (var o in new Option[] { dataset, dataDir, maxTrain, steps, batch, lr, wd, dim, heads, layers, mlp,
            patch, every, probeImages, shift, stdQk })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            if (pr.GetValue(maxTrain) < 1) throw new ArgumentException("--max-train must be positive.");
            var rng = new Rng(ctx.Seed);
            bool fashion = pr.GetValue(dataset) == "fashion-mnist";
            var data = fashion ? ImageDataset.FashionMnist(pr.GetValue(dataDir)!,
                pr.GetValue(maxTrain)) : ImageDataset.Digits(rng.Split(7));
            var cfg = new VitConfig(data.Side, data.Channels, pr.GetValue(patch) ?? (fashion ? 4 : 2), pr.GetValue(dim),
                pr.GetValue(heads), pr.GetValue(layers), pr.GetValue(mlp), data.Classes, pr.GetValue(stdQk));
            var opt = new VitTrainingOptions(pr.GetValue(steps), pr.GetValue(batch), pr.GetValue(lr), pr.GetValue(wd),
                ProbeEvery: pr.GetValue(every), ProbeImages: pr.GetValue(probeImages), MaxShift: pr.GetValue(shift));
            Check(cfg, opt);
            var sink = ctx.Sink("kpca-train");
            Ui.Info(ctx,
                $"{data.Name}: {data.TrainImages.Rows} training / {data.TestImages.Rows} test images; "
                + $"ViT {cfg.Layers} blocks × "
                         + $"{cfg.Heads} heads, width {cfg.Dim}, {cfg.Tokens} tokens"
                             + (cfg.StandardizeQk ? ", standardised Q/K" : ""));
            var result = Ui.WithProgress(ctx, p => VitTrainer.Train(data, cfg, opt, rng.Split(11), p));
            Ui.Table(ctx, Write(sink, result), 60);
            Ui.Info(ctx,
                $"test accuracy {result.FinalTestAccuracy:P2} after {opt.Steps} steps "
                + $"({result.TrainSeconds:F1} s training, "
                         + $"{result.TotalSeconds:F1} s with probes); {result.Model.ParameterCount} parameters");
            if (Export(sink, result) is { } note) Ui.Info(ctx, note);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    /// <summary>Library parameter names and the CLI flags that set them (for validation messages).</summary>
    private static readonly (string Name, string Flag)[] FlagNames =
    [
        ("PatchSize", "--patch"), ("ImageSide", "image side"), ("Channels", "channels"), ("MlpDim", "--mlp-dim"),
        ("Dim", "--dim"), ("Heads", "--heads"), ("Layers", "--layers"), ("Classes", "classes"), ("Steps", "--steps"),
        ("Batch", "--batch"), ("LearningRate", "--lr"), ("WeightDecay", "--weight-decay"),
        ("WarmupFraction", "warm-up fraction"), ("ProbeEvery", "--probe-every"), ("ProbeImages", "--probe-images"),
        ("MaxShift", "--max-shift"),
    ];

    private static void Check(VitConfig cfg, VitTrainingOptions opt)
    {
        try { cfg.Validate(); opt.Validate(); }
        catch (ArgumentException e)
        {
            string msg = e.Message;
            foreach (var (name, flag) in FlagNames)
                msg = System.Text.RegularExpressions.Regex.Replace(msg, $@"\b{name}\b", flag);
            throw new ArgumentException(msg, e);
        }
    }

    /// <summary>Per-head table, per-step summary table and the figures; returns the summary table.</summary>
    internal static ResultTable Write(OutputSink sink, VitTrainingResult r)
    {
        var heads = new ResultTable("train-heads", "step", "layer", "head", "mean_cos", "optimal_cos", "linear_cka",
            "rbf_cka",
            "log10_phi_term", "log10_h_term", "log10_ratio", "jproj", "gamma_res_learned", "gamma_res_control",
                "attn_entropy", "null_mean_cos", "null_linear_cka");
        foreach (var p in r.Trace)
            foreach (var h in p.Heads)
                heads.Add(h.Step, h.Layer, h.Head, h.MeanCosine, h.OptimalCosine, h.LinearCka, h.RbfCka, h.Log10PhiTerm,
                    h.Log10HTerm, h.Log10Ratio, h.JProj, h.GammaResidualLearned, h.GammaResidualControl,
                        h.AttentionEntropy,
                    h.NullMeanCosine, h.NullLinearCka);
        sink.WriteTable(heads);
        var summary = new ResultTable("train-summary", "step", "train_loss", "test_acc", "mean_cos", "linear_cka",
            "null_linear_cka", "log10_phi", "log10_h", "log10_ratio", "jproj", "attn_entropy");
        foreach (var p in r.Trace)
            summary.Add(p.Step, double.IsNaN(p.TrainLoss) ? null : p.TrainLoss, p.TestAccuracy,
                p.Heads.Average(h => h.MeanCosine),
                p.Heads.Average(h => h.LinearCka), p.Heads.Average(h => h.NullLinearCka),
                    p.Heads.Average(h => h.Log10PhiTerm),
                p.Heads.Average(h => h.Log10HTerm), p.Heads.Average(h => h.Log10Ratio), p.Heads.Average(h => h.JProj),
                p.Heads.Average(h => h.AttentionEntropy));
        sink.WriteTable(summary);
        WriteFigures(sink, r);
        return summary;
    }

    private static void WriteFigures(OutputSink sink, VitTrainingResult r)
    {
        double[] steps = [.. r.Trace.Select(p => (double)p.Step)];
        string tag = r.Config.StandardizeQk ? " (standardised Q/K)" : "";
        var acc = new Figure($"{r.Dataset}: training{tag}", "step", "value");
        acc.Line(steps[1..], [.. r.Trace.Skip(1).Select(p => p.TrainLoss)], "train loss");
        acc.Line(steps, [.. r.Trace.Select(p => p.TestAccuracy)], "test accuracy");
        acc.LegendOutside(ScottPlot.Edge.Bottom);
        acc.Save(sink, "train-accuracy");
        var metrics = new (string Name, string Label, Func<VitProbeHead, double> Get)[]
        {
            ("mean-cos", "mean cosine(V, V_KPCA)", h => h.MeanCosine),
            ("linear-cka", "linear CKA(V, V_KPCA)", h => h.LinearCka),
            ("rbf-cka", "RBF CKA(V, V_KPCA)", h => h.RbfCka),
            ("gamma-res", "gamma residual of learned V", h => h.GammaResidualLearned),
            ("entropy", "attention entropy (nats)", h => h.AttentionEntropy),
            ("log10-ratio", "log10(phi term / h term)", h => h.Log10Ratio),
        };
        foreach (var (name, label, get) in metrics)
        {
            var f = new Figure($"{label}{tag}", "step", label);
            for (int l = 0; l < r.Config.Layers; l++) Band(f, r, steps, l, get, $"block {l}");
            if (name is "mean-cos" or "linear-cka")
                f.Line(steps,
                    [.. r.Trace.Select(p => p.Heads.Average(name == "mean-cos" ? h => h.NullMeanCosine : h
                        => h.NullLinearCka))],
                    "permutation null (mean over heads)");
            f.LegendOutside(ScottPlot.Edge.Bottom);
            f.Save(sink, "train-" + name);
        }
        var j = new Figure($"J_proj terms (log10){tag}", "step", "log10 of term");
        for (int l = 0; l < r.Config.Layers; l++)
        {
            Band(j, r, steps, l, h => h.Log10PhiTerm, $"block {l}: phi term");
            Band(j, r, steps, l, h => h.Log10HTerm, $"block {l}: h term");
        }
        j.LegendOutside(ScottPlot.Edge.Bottom);
        j.Save(sink, "train-jproj-terms");
        var jd = new Figure($"J_proj = phi term - h term{tag}", "step", "J_proj");
        for (int l = 0; l < r.Config.Layers; l++) Band(jd, r, steps, l, h => h.JProj, $"block {l}");
        jd.LegendOutside(ScottPlot.Edge.Bottom);
        jd.Save(sink, "train-jproj");
    }

    /// <summary>Mean over the block's heads with a min–max band.</summary>
    private static void Band(Figure f, VitTrainingResult r, double[] steps, int layer, Func<VitProbeHead, double> get,
        string label)
    {
        var per = r.Trace.Select(p => p.Heads.Where(h => h.Layer == layer).Select(get).ToArray()).ToList();
        f.LineWithBand(steps, [.. per.Select(v => v.Average())], [.. per.Select(v => v.Min())],
            [.. per.Select(v => v.Max())], label);
    }

    /// <summary>Write model.safetensors (F64, timm ViT names), config.json and model.onnx (float32); returns a
    /// note.</summary>
    internal static string? Export(OutputSink sink, VitTrainingResult r)
    {
        if (r.Config.StandardizeQk)
            return "model not exported: the audit's safetensors forward pass has no query/key standardisation.";
        string path = sink.PathFor("model.safetensors");
        SafeTensorsFile.Write(path, r.Model.ExportTensors(), "F64");
        sink.Record(path);
        var cfg = sink.PathFor("config.json");
        File.WriteAllText(cfg, JsonSerializer.Serialize(new
        {
            model_type = "vit", num_heads = r.Config.Heads, hidden_size = r.Config.Dim, num_layers = r.Config.Layers,
            mlp_dim = r.Config.MlpDim, patch_size = r.Config.PatchSize, image_size = r.Config.ImageSide,
            num_channels = r.Config.Channels, num_classes = r.Config.Classes, layer_norm_eps = VitConfig.LayerNormEps,
            dataset = r.Dataset, test_accuracy = r.FinalTestAccuracy,
        }));
        sink.Record(cfg);
        string onnx = sink.PathFor("model.onnx");
        File.WriteAllBytes(onnx, VitOnnxExport.Write(r.Model));
        sink.Record(onnx);
        return $"exported {path} and {onnx} (audit with: attnspec kpca audit --model {path} --random-inputs 4)";
    }
}
