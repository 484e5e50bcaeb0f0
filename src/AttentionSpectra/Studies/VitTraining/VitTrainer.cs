using System.Diagnostics;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Studies.VitTraining;

/// <summary>Optimisation and probing settings.</summary>
/// <param name="Steps">Adam steps.</param>
/// <param name="Batch">Images per step.</param>
/// <param name="LearningRate">Peak learning rate (linear warm-up, then cosine decay to a tenth of it).</param>
/// <param name="WeightDecay">Decoupled (AdamW) weight decay on weight matrices.</param>
/// <param name="WarmupFraction">Fraction of the steps spent warming up.</param>
/// <param name="ProbeEvery">Probe every this many steps (and at step 0 and the last step).</param>
/// <param name="ProbeImages">Test images in the fixed probe batch.</param>
/// <param name="MaxShift">Data augmentation: each training image is shifted by a random whole number of pixels in
/// [−MaxShift, MaxShift] along each axis (vacated pixels take the background value −1); 0 = off.</param>
public sealed record VitTrainingOptions(int Steps = 1500, int Batch = 64, double LearningRate = 3e-3,
    double WeightDecay = 0.05, double WarmupFraction = 0.05, int ProbeEvery = 100, int ProbeImages = 8,
        int MaxShift = 0)
{
    /// <summary>Throw <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Steps < 1 || Batch < 1) throw new ArgumentException("Steps and Batch must be positive.");
        if (!(LearningRate > 0)
            || !double.IsFinite(LearningRate)) throw new ArgumentException("LearningRate must be positive.");
        if (!(WeightDecay >= 0)
            || !double.IsFinite(WeightDecay)) throw new ArgumentException("WeightDecay must be >= 0.");
        if (!(WarmupFraction >= 0
            && WarmupFraction < 1)) throw new ArgumentException("WarmupFraction must lie in [0, 1).");
        if (ProbeEvery < 1
            || ProbeImages < 1) throw new ArgumentException("ProbeEvery and ProbeImages must be positive.");
        if (MaxShift < 0) throw new ArgumentException("MaxShift must be >= 0.");
    }
}

/// <summary>Kernel-PCA audit numbers of one head at one probe step, averaged over the probe images.</summary>
/// <param name="Step">Training step.</param>
/// <param name="Layer">Block index.</param>
/// <param name="Head">Head index.</param>
/// <param name="MeanCosine">Mean row cosine between V and V_KPCA (signs aligned).</param>
/// <param name="OptimalCosine">Cosine after the optimal orthogonal alignment.</param>
/// <param name="LinearCka">Linear CKA between V and V_KPCA.</param>
/// <param name="RbfCka">RBF CKA.</param>
/// <param name="Log10PhiTerm">log10 of the φ term mean |φ(q)|² of J_proj.</param>
/// <param name="Log10HTerm">log10 of the h term mean |h|² of J_proj.</param>
/// <param name="JProj">J_proj = φ term − h term.</param>
/// <param name="GammaResidualLearned">Gamma-consistency residual of the eigenvectors implied by the learned V.</param>
/// <param name="GammaResidualControl">The same for a perturbed-eigenvector control.</param>
/// <param name="AttentionEntropy">Mean attention entropy over query tokens (nats; ln N for uniform attention).</param>
/// <param name="NullMeanCosine">Permutation null of the mean cosine (V's rows shuffled).</param>
/// <param name="NullLinearCka">Permutation null of the linear CKA.</param>
public sealed record VitProbeHead(int Step, int Layer, int Head, double MeanCosine, double OptimalCosine,
    double LinearCka, double RbfCka, double Log10PhiTerm, double Log10HTerm, double JProj, double GammaResidualLearned,
    double GammaResidualControl, double AttentionEntropy, double NullMeanCosine, double NullLinearCka)
{
    /// <summary>log10(φ term / h term): the orders of magnitude between the two terms of J_proj.</summary>
    public double Log10Ratio => Log10PhiTerm - Log10HTerm;
}

/// <summary>One probe: loss and accuracy with the per-head audit.</summary>
/// <param name="Step">Training step (0 = initialisation).</param>
/// <param name="TrainLoss">Mean training loss over the steps since the previous probe (NaN at step 0).</param>
/// <param name="TestAccuracy">Accuracy on the whole test split.</param>
/// <param name="Heads">Per-head audit, layer-major.</param>
public sealed record VitProbePoint(int Step, double TrainLoss, double TestAccuracy, IReadOnlyList<VitProbeHead> Heads);

/// <summary>Outcome of a training run.</summary>
/// <param name="Dataset">Data set name.</param>
/// <param name="Config">Architecture.</param>
/// <param name="Options">Training settings.</param>
/// <param name="Trace">Probes in step order.</param>
/// <param name="FinalTestAccuracy">Test accuracy after the last step.</param>
/// <param name="TrainSeconds">Wall time of the optimisation steps alone.</param>
/// <param name="TotalSeconds">Wall time including the probes.</param>
/// <param name="Model">The trained model.</param>
public sealed record VitTrainingResult(string Dataset, VitConfig Config, VitTrainingOptions Options,
    IReadOnlyList<VitProbePoint> Trace, double FinalTestAccuracy, double TrainSeconds, double TotalSeconds,
        VitModel Model);

/// <summary>Trains <see cref="VitModel"/> with AdamW and follows the kernel-PCA audit quantities through training on a
/// fixed probe batch of test images.</summary>
public static class VitTrainer
{
    /// <summary>Train from a seeded initialisation. All randomness (initial weights, batch order, audit controls)
    /// comes from <paramref name="rng"/>, so a seed reproduces the run exactly.</summary>
    public static VitTrainingResult Train(ImageDataset data, VitConfig config, VitTrainingOptions options, Rng rng,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        if (config.ImageSide != data.Side || config.Channels != data.Channels || config.Classes != data.Classes)
            throw new ArgumentException(
                $"The model expects {config.Channels}×{config.ImageSide}² images in {config.Classes} classes; "
                                        + $"{data.Name} has {data.Channels}×{data.Side}² in {data.Classes}.");
        var model = new VitModel(config, rng.Split(1));
        int nTrain = data.TrainImages.Rows, batch = Math.Min(options.Batch, nTrain);
        var probe = new Matrix(Math.Min(options.ProbeImages, data.TestImages.Rows), data.TestImages.Cols);
        for (int i = 0; i < probe.Rows; i++) data.TestImages.RowReadOnly(i).CopyTo(probe.Row(i));
        var order = Enumerable.Range(0, nTrain).ToArray();
        var index = new int[batch];
        var batchImages = new Matrix(batch, data.TrainImages.Cols);
        var batchLabels = new int[batch];
        var identity = Enumerable.Range(0, batch).ToArray();
        var shuffle = rng.Split(2);
        var augment = rng.Split(4);
        var auditRng = rng.Split(3);
        var trace = new List<VitProbePoint> { Probe(model, data, probe, 0, double.NaN, auditRng) };
        int cursor = nTrain, warm = (int)(options.WarmupFraction * options.Steps);
        double lossSum = 0; int lossCount = 0;
        var total = Stopwatch.StartNew();
        var train = new Stopwatch();
        for (int step = 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            train.Start();
            for (int i = 0; i < batch; i++)
            {
                if (cursor == nTrain)
                {
                    for (int k = nTrain - 1; k > 0; k--) { int r = shuffle.NextInt(k + 1); (order[k],
                        order[r]) = (order[r], order[k]); }
                    cursor = 0;
                }
                index[i] = order[cursor++];
            }
            for (int i = 0; i < batch; i++)
            {
                batchLabels[i] = data.TrainLabels[index[i]];
                int sx = augment.NextInt(2 * options.MaxShift + 1) - options.MaxShift;
                int sy = augment.NextInt(2 * options.MaxShift + 1) - options.MaxShift;
                Shift(data.TrainImages.RowReadOnly(index[i]), batchImages.Row(i), data.Channels, data.Side, sx, sy);
            }
            lossSum += model.LossAndGradient(batchImages, batchLabels, identity);
            lossCount++;
            AdamStep(model, step, LearningRate(options, step, warm), options.WeightDecay);
            train.Stop();
            if (step % options.ProbeEvery == 0 || step == options.Steps)
            {
                trace.Add(Probe(model, data, probe, step, lossSum / lossCount, auditRng));
                lossSum = 0; lossCount = 0;
            }
            if (step % 20 == 0) progress.Report("training", step, options.Steps);
        }
        return new VitTrainingResult(data.Name, config, options, trace, trace[^1].TestAccuracy,
            train.Elapsed.TotalSeconds,
            total.Elapsed.TotalSeconds, model);
    }

    /// <summary>Copy a C × S × S image shifted by (dx, dy) pixels; uncovered pixels get the background −1.</summary>
    internal static void Shift(ReadOnlySpan<double> src, Span<double> dst, int channels, int side, int dx, int dy)
    {
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    int sy = y - dy, sx = x - dx;
                    dst[(c * side + y) * side + x] = sy < 0 || sy >= side || sx < 0
                        || sx >= side ? -1.0 : src[(c * side + sy) * side + sx];
                }
    }

    /// <summary>Linear warm-up to the peak, then cosine decay to a tenth of it.</summary>
    internal static double LearningRate(VitTrainingOptions o, int step, int warm)
    {
        if (step <= warm) return o.LearningRate * step / Math.Max(warm, 1);
        double t = (double)(step - warm) / Math.Max(o.Steps - warm, 1);
        return o.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }

    /// <summary>One AdamW step (β = 0.9, 0.999; ε = 1e-8; decay decoupled and only on weight matrices).</summary>
    internal static void AdamStep(VitModel model, int step, double lr, double weightDecay)
    {
        const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double c1 = 1 - Math.Pow(b1, step), c2 = 1 - Math.Pow(b2, step);
        foreach (var p in model.Parameters)
        {
            var w = p.Value.Data; var g = p.Grad.Data; var m = p.M; var v = p.V;
            double wd = p.Decay ? weightDecay : 0;
            for (int i = 0; i < w.Length; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                w[i] -= lr * (m[i] / c1 / (Math.Sqrt(v[i] / c2) + eps) + wd * w[i]);
            }
        }
    }

    /// <summary>Audit every head on the probe batch and measure the test accuracy.</summary>
    internal static VitProbePoint Probe(VitModel model, ImageDataset data, Matrix probe, int step, double trainLoss,
        Rng rng)
    {
        var cap = model.Capture(probe);
        var heads = new List<VitProbeHead>();
        var opts = new AuditOptions(NullPermutations: 8);
        for (int l = 0; l < cap.Length; l++)
            for (int h = 0; h < model.Config.Heads; h++)
            {
                int n = cap[l].Length;
                double mc = 0, oc = 0, lc = 0, rc = 0, lp = 0, lh = 0, jp = 0, gl = 0, gc = 0, ent = 0, nm = 0, nl = 0;
                for (int im = 0; im < n; im++)
                {
                    var c = cap[l][im][h];
                    var m = HeadAudit.Audit(new CapturedHead(l, h, $"probe-{im}", c.Q, c.K, c.V),
                        rng.Split((ulong)(((step * 64 + l) * 64 + h) * 1024 + im)), opts);
                    mc += m.MeanCosine; oc += m.OptimalCosine; lc += m.LinearCka; rc += m.RbfCka;
                    lp += m.JProj.Log10PhiTerm; lh += m.JProj.Log10HTerm; jp += m.JProj.JProj;
                    gl += m.GammaLearned.Residual; gc += m.GammaControl.Residual; ent += c.Entropy;
                    nm += m.Null!.MeanCosine; nl += m.Null.LinearCka;
                }
                heads.Add(new VitProbeHead(step, l, h, mc / n, oc / n, lc / n, rc / n, lp / n, lh / n, jp / n, gl / n,
                    gc / n,
                    ent / n, nm / n, nl / n));
            }
        return new VitProbePoint(step, trainLoss, model.Accuracy(data.TestImages, data.TestLabels), heads);
    }
}
