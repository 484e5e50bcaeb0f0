namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Study A's part of <c>reproduce</c> at the default (small) scale.</summary>
/// <param name="LandscapeLam">lam of the landscape.</param>
/// <param name="Landscape">Critical points and profiles of R_inf (d = 5).</param>
/// <param name="Softmax">Softmax SGD, reference configuration, 3 seeds.</param>
/// <param name="Infinite">GD on R_inf, 10 seeds.</param>
/// <param name="Linear">Linear SGD, 3 seeds, batch 64.</param>
/// <param name="SoftmaxLSweep">Softmax L sweep (L = 3, 10, 50; 2 seeds, 1500 steps, batch 128).</param>
/// <param name="Icl">ICL softmax SGD, 3 seeds, batch 128.</param>
public sealed record PcaReproduceResult(double LandscapeLam, PcaExperiments.Landscape Landscape, PcaTrainResult Softmax,
    PcaTrainResult Infinite, PcaTrainResult Linear, IReadOnlyList<PcaExperiments.SweepPoint> SoftmaxLSweep,
        IclResult Icl);

/// <summary>Study A's reproduce runs: the small default and, at paper scale, every figure preset.</summary>
public static class PcaReproduce
{
    /// <summary>lam of the reproduce landscape.</summary>
    public const double LandscapeLam = 0.01;

    /// <summary>The small default run (seconds to a minute): landscape, the three heads, an L sweep and ICL.</summary>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PcaReproduceResult Run(ulong seed, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var landscape = PcaExperiments.ComputeLandscape(5, LandscapeLam, seed);
        var softmax = PcaTrainOptions.Reference(TrainHead.Softmax) with { Seeds = 3 };
        var infinite = PcaTrainOptions.Reference(TrainHead.Infinite) with { Seeds = 10 };
        var linear = PcaTrainOptions.Reference(TrainHead.Linear) with { Seeds = 3, Batch = 64 };
        var icl = new IclOptions(Seeds: 3, Batch: 128);
        var rs = PcaExperiments.Train(softmax, seed, progress, "A: softmax SGD", cancellationToken);
        var ri = PcaExperiments.Train(infinite, seed, progress, "A: infinite GD", cancellationToken);
        var rl = PcaExperiments.Train(linear, seed, progress, "A: linear SGD", cancellationToken);
        var sweep = PcaExperiments.Sweep(softmax with { Seeds = 2, Steps = 1500, Batch = 128 },
            new PcaSweepSpec(SweepVariable.L, [3, 10, 50], SweepCoupling.None), seed, progress, cancellationToken);
        var ricl = IclExperiments.Train(icl, seed, progress, "A: ICL", cancellationToken);
        return new PcaReproduceResult(LandscapeLam, landscape, rs, ri, rl, sweep, ricl);
    }

    /// <summary>Names of every figure preset, PCA first then ICL (for <c>reproduce</c> at paper scale).</summary>
    public static IReadOnlyList<string> FigureNames { get; } =
        PaperFigures.Pca.Select(p => p.Name).Concat(PaperFigures.Icl.Select(p => p.Name)).ToArray();
}
