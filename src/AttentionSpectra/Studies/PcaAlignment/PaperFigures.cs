using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>What a figure shows.</summary>
public enum FigureKind
{
    /// <summary>Alignment against the step, mean and band over seeds.</summary>
    Train,
    /// <summary>Final alignment against a swept variable.</summary>
    Sweep,
    /// <summary>Gradient descent on the closed-form risk and SGD on the finite-prompt head on one figure.</summary>
    Compare,
}

/// <summary>A figure of the paper (Gaussian PCA part) with its settings, as data.</summary>
/// <param name="Name">Preset name (e.g. "fig3b").</param>
/// <param name="PaperFigure">The paper's label (e.g. "Figure 3b").</param>
/// <param name="Caption">What the figure shows.</param>
/// <param name="Kind">Train, sweep or compare.</param>
/// <param name="Options">The run (for a compare figure: the gradient-descent run).</param>
/// <param name="Sweep">Grid and couplings of a sweep figure.</param>
/// <param name="Sgd">For a compare figure: the SGD run.</param>
/// <param name="PaperScript">The authors' script that draws it.</param>
public sealed record PcaFigurePreset(string Name, string PaperFigure, string Caption, FigureKind Kind,
    PcaTrainOptions Options, PcaSweepSpec? Sweep = null, PcaTrainOptions? Sgd = null, string PaperScript = "");

/// <summary>A figure of the paper (in-context part) with its settings, as data.</summary>
/// <param name="Name">Preset name (e.g. "fig7a").</param>
/// <param name="PaperFigure">The paper's label.</param>
/// <param name="Caption">What the figure shows.</param>
/// <param name="Kind">Train, sweep or compare.</param>
/// <param name="Options">The run (for a compare figure: the gradient-descent run).</param>
/// <param name="Sweep">Grid and couplings of a sweep figure.</param>
/// <param name="Sgd">For a compare figure: the SGD run.</param>
/// <param name="PaperScript">The authors' script that draws it.</param>
public sealed record IclFigurePreset(string Name, string PaperFigure, string Caption, FigureKind Kind,
    IclOptions Options, IclSweepSpec? Sweep = null, IclOptions? Sgd = null, string PaperScript = "");

/// <summary>Result of a PCA figure; which fields are set depends on <see cref="PcaFigurePreset.Kind"/>.</summary>
/// <param name="Preset">The preset after overrides.</param>
/// <param name="Seed">Master seed.</param>
/// <param name="Train">Train figure: the run; compare figure: the gradient-descent run.</param>
/// <param name="Sweep">Sweep figure: its points.</param>
/// <param name="Sgd">Compare figure: the SGD run.</param>
public sealed record PcaFigureResult(PcaFigurePreset Preset, ulong Seed, PcaTrainResult? Train,
    IReadOnlyList<PcaExperiments.SweepPoint>? Sweep, PcaTrainResult? Sgd);

/// <summary>Result of an ICL figure; which fields are set depends on <see cref="IclFigurePreset.Kind"/>.</summary>
/// <param name="Preset">The preset after overrides.</param>
/// <param name="Seed">Master seed.</param>
/// <param name="Train">Train figure: the run; compare figure: the gradient-descent run.</param>
/// <param name="Sweep">Sweep figure: its points.</param>
/// <param name="Sgd">Compare figure: the SGD run.</param>
public sealed record IclFigureResult(IclFigurePreset Preset, ulong Seed, IclResult? Train,
    IReadOnlyList<IclExperiments.IclSweepPoint>? Sweep, IclResult? Sgd);

/// <summary>Overrides of a preset; null fields keep the preset's value. For a compare figure the shared fields
/// (D, Steps, Seeds, Sigma, SigmaPolicy, Band, RecordEvery, Eigenbasis) apply to both runs, the Gd* fields to the
/// gradient-descent run and the rest to the SGD run.</summary>
/// <param name="Head">Head.</param>
/// <param name="D">Dimension (defaults to the size of <paramref name="Sigma"/> when that is given).</param>
/// <param name="L">Prompt length.</param>
/// <param name="Lam">Inverse temperature.</param>
/// <param name="Lr">Learning rate.</param>
/// <param name="Steps">Steps.</param>
/// <param name="Batch">Prompts per step.</param>
/// <param name="Seeds">Runs.</param>
/// <param name="Rank">Rank.</param>
/// <param name="Init">Initial law.</param>
/// <param name="Sigma">Fixed covariance.</param>
/// <param name="SigmaPolicy">Sigma policy (PCA) or spike policy (ICL).</param>
/// <param name="Band">Band kind.</param>
/// <param name="RecordEvery">Record interval.</param>
/// <param name="Eigenbasis">Sample in the eigenbasis.</param>
/// <param name="Values">Sweep grid.</param>
/// <param name="Coupling">Sweep couplings.</param>
/// <param name="GdLam">Compare: lam of the gradient-descent run.</param>
/// <param name="GdLr">Compare: lr of the gradient-descent run.</param>
/// <param name="GdInit">Compare: init of the gradient-descent run.</param>
/// <param name="LinearCrossTermFactor">LinearExact gradient convention (2 exact, 4 the authors' code).</param>
/// <param name="N">ICL degrees of freedom.</param>
/// <param name="Xi">ICL noise level.</param>
/// <param name="Theta">ICL spike strength.</param>
/// <param name="SigmasPerStep">ICL covariances per step.</param>
/// <param name="PromptsPerSigma">ICL prompts per covariance.</param>
public sealed record FigureOverrides(TrainHead? Head = null, int? D = null, int? L = null, double? Lam = null,
    double? Lr = null, int? Steps = null, int? Batch = null, int? Seeds = null, int? Rank = null, InitLaw? Init = null,
    Matrix? Sigma = null, SigmaPolicy? SigmaPolicy = null, BandKind? Band = null, int? RecordEvery = null,
    bool? Eigenbasis = null, IReadOnlyList<double>? Values = null, SweepCoupling? Coupling = null, double? GdLam = null,
    double? GdLr = null, InitLaw? GdInit = null, double? LinearCrossTermFactor = null, int? N = null, double? Xi = null,
    double? Theta = null, int? SigmasPerStep = null, int? PromptsPerSigma = null)
{
    /// <summary>No override.</summary>
    public static FigureOverrides None { get; } = new();
}

/// <summary>Every figure of the paper (Gaussian and in-context PCA) as a preset with the settings of the authors'
/// code (rodrigomaulen/Attention_based_PCA; see docs/study-a.md for where this toolkit differs), and the functions
/// that run one.</summary>
public static class PaperFigures
{
    /// <summary>Steps between recorded points of the presets' time series (the paper records every step; the
    /// final values do not depend on it).</summary>
    public const int PresetRecordEvery = 10;

    private static readonly int[] LGridPaper = [3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30, 32, 35, 37, 40, 42, 45, 47,
        50];
    private static readonly int[] DGridPaper = Enumerable.Range(0, 20).Select(i => 3 + 5 * i).ToArray();

    private static readonly PcaTrainOptions PcaBase = new(Seeds: 10, SigmaPolicy: SigmaPolicy.PerFigure,
        Band: BandKind.Bootstrap95, RecordEvery: PresetRecordEvery);

    private static readonly PcaTrainOptions SoftmaxSgd = PcaBase with
    {
        Head = TrainHead.Softmax, D = 5, L = 100, Lam = 0.1, Lr = 1e-4, Steps = 3000, Batch = 256,
            Init = InitLaw.Gaussian(0.1),
    };

    private static readonly PcaTrainOptions InfiniteGd = PcaBase with
    {
        Head = TrainHead.Infinite, D = 5, Lam = 0.01, Lr = 1e-3, Steps = 3000, Init = InitLaw.Unit, RankOneForm = true,
    };

    private static readonly PcaTrainOptions LinearSgd = PcaBase with
    {
        Head = TrainHead.Linear, D = 5, L = 6, Lam = 0.01, Lr = 1e-4, Steps = 5000, Batch = 256,
            Init = InitLaw.Gaussian(0.01),
    };

    /// <summary>The PCA figures: 1, 3a, 3b, 4a, 4b, 5a, 5b, 6a, 6b.</summary>
    public static IReadOnlyList<PcaFigurePreset> Pca { get; } =
    [
        new("fig1", "Figure 1", "GD on R_inf (unit init) vs softmax SGD at L = 100 (init 0.1 N(0, I)), one Sigma",
            FigureKind.Compare, InfiniteGd, Sgd: SoftmaxSgd, PaperScript: "combined_softmax_infinite_finite.py"),
        new("fig3a", "Figure 3a", "Softmax SGD, d = 5, L = 100, lam = 0.1, lr = 1e-4, 3000 steps, batch 256",
            FigureKind.Train, SoftmaxSgd, PaperScript: "softmax_finite.py"),
        new("fig3b", "Figure 3b", "GD on R_inf, d = 5, lam = 0.01, lr = 1e-3, 3000 steps, unit init",
            FigureKind.Train, InfiniteGd, PaperScript: "softmax_infinite.py"),
        new("fig4a", "Figure 4a", "Linear SGD, d = 5, L = 6, lam = 0.01, lr = 1e-4, 5000 steps, batch 256",
            FigureKind.Train, LinearSgd, PaperScript: "linear_finite.py"),
        new("fig4b", "Figure 4b", "GD on R_lin,L, d = 5, L = 6, lam = 0.01, lr = 1e-4, 5000 steps, init 0.01 N(0, I)",
            FigureKind.Train, LinearSgd with { Head = TrainHead.LinearExact }, PaperScript: "linear_analytic.py"),
        new("fig5a", "Figure 5a", "Softmax SGD: final alignment vs L (20 values 3..50), 5000 steps, band +- sd",
            FigureKind.Sweep, SoftmaxSgd with { Steps = 5000, Band = BandKind.Sd },
            new PcaSweepSpec(SweepVariable.L, LGridPaper, SweepCoupling.None),
                PaperScript: "softmax_finite_alignment_vs_L.py"),
        new("fig5b", "Figure 5b", "Linear SGD: final alignment vs L (20 values 3..50), lam = 0.001, band +- sd",
            FigureKind.Sweep, LinearSgd with { Lam = 0.001, Band = BandKind.Sd },
            new PcaSweepSpec(SweepVariable.L, LGridPaper, SweepCoupling.None),
                PaperScript: "linear_finite_change_L.py"),
        new("fig6a", "Figure 6a", "GD on R_inf: final alignment vs d = 3..98, lam = 0.1/d, lr = 0.5/d^2, 5000 steps",
            FigureKind.Sweep, InfiniteGd with { Steps = 5000, Band = BandKind.Sd },
            new PcaSweepSpec(SweepVariable.D, DGridPaper, SweepCoupling.Theory),
                PaperScript: "softmax_infinite_change_dim.py"),
        new("fig6b", "Figure 6b",
            "GD on R_lin,L: final alignment vs d = 3..98, L = d, lam = 0.01/d, lr = 1/d^2, 5000 steps",
            FigureKind.Sweep, InfiniteGd with { Head = TrainHead.LinearExact, Steps = 5000, Band = BandKind.Sd },
            new PcaSweepSpec(SweepVariable.D, DGridPaper, new SweepCoupling(LEqualsD: true, LamTimesD: 0.01,
                LrTimesD2: 1)),
            PaperScript: "linear_analytic_change_dim.py"),
    ];

    private static readonly IclOptions IclBase = new(Head: TrainHead.Softmax, D: 5, N: 10, Xi: 1, Theta: 2, L: 100,
        Lam: 1e-3, Lr: 5e-3, Steps: 1000, Seeds: 10, Init: InitLaw.Unit, SpikePolicy: SigmaPolicy.PerFigure,
        SigmasPerStep: 100, PromptsPerSigma: 100, Band: BandKind.Bootstrap95, RecordEvery: PresetRecordEvery);

    private static readonly IclOptions IclGd = IclBase with { Head = TrainHead.Infinite, SigmasPerStep = null,
        PromptsPerSigma = null };

    /// <summary>The in-context figures: 2, 7a, 7b, 8a, 8b.</summary>
    public static IReadOnlyList<IclFigurePreset> Icl { get; } =
    [
        new("fig2", "Figure 2", "ICL: GD on R_ICL_inf vs softmax SGD (100 Sigma x 100 prompts per step, L = 100)",
            FigureKind.Compare, IclGd, Sgd: IclBase, PaperScript: "combined_icl_infinite_finite.py"),
        new("fig7a", "Figure 7a",
            "ICL softmax SGD, d = 5, n = 10, xi = 1, theta = 2, L = 100, 100 x 100 prompts per step",
            FigureKind.Train, IclBase, PaperScript: "icl_finite.py"),
        new("fig7b", "Figure 7b", "ICL GD on R_ICL_inf, theta = 0.1, 10001 steps",
            FigureKind.Train, IclGd with { Theta = 0.1, Steps = 10001 }, PaperScript: "icl_infinite.py"),
        new("fig8a", "Figure 8a", "ICL softmax SGD: final alignment vs L = 3..98 (step 5), band +- sd",
            FigureKind.Sweep, IclBase with { Band = BandKind.Sd },
            new IclSweepSpec(SweepVariable.L, DGridPaper.Select(x => (double)x).ToArray(), SweepCoupling.None),
            PaperScript: "icl_finite_alignment_vs_L.py"),
        new("fig8b", "Figure 8b",
            "ICL GD on R_ICL_inf: final alignment vs d = 3..98, n = d, lam = 0.1/d, lr = 0.5/d^2, 2000 steps",
            FigureKind.Sweep, IclGd with { Steps = 2000, Band = BandKind.Sd },
            new IclSweepSpec(SweepVariable.D, DGridPaper.Select(x => (double)x).ToArray(),
                new SweepCoupling(NEqualsD: true, LamTimesD: 0.1, LrTimesD2: 0.5)),
            PaperScript: "icl_infinite_change_dim.py"),
    ];

    /// <summary>The PCA preset called <paramref name="name"/> (case-insensitive), or null.</summary>
    /// <param name="name">Preset name.</param>
    public static PcaFigurePreset? FindPca(string name) =>
        Pca.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The ICL preset called <paramref name="name"/> (case-insensitive), or null.</summary>
    /// <param name="name">Preset name.</param>
    public static IclFigurePreset? FindIcl(string name) =>
        Icl.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The preset with the overrides applied.</summary>
    /// <param name="preset">Preset.</param>
    /// <param name="o">Overrides.</param>
    public static PcaFigurePreset Apply(PcaFigurePreset preset, FigureOverrides o)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(o);
        PcaTrainOptions Shared(PcaTrainOptions x) => x with
        {
            D = o.D ?? o.Sigma?.Rows ?? x.D, Steps = o.Steps ?? x.Steps, Seeds = o.Seeds ?? x.Seeds, Sigma = o.Sigma
                ?? x.Sigma,
            SigmaPolicy = o.SigmaPolicy ?? x.SigmaPolicy, Band = o.Band ?? x.Band, RecordEvery = o.RecordEvery
                ?? x.RecordEvery,
            Eigenbasis = o.Eigenbasis ?? x.Eigenbasis, Rank = o.Rank ?? x.Rank,
            LinearCrossTermFactor = o.LinearCrossTermFactor ?? x.LinearCrossTermFactor,
        };
        PcaTrainOptions Own(PcaTrainOptions x) => x with
        {
            Head = o.Head ?? x.Head, L = o.L ?? x.L, Lam = o.Lam ?? x.Lam, Lr = o.Lr ?? x.Lr, Batch = o.Batch
                ?? x.Batch,
            Init = o.Init ?? x.Init,
        };
        PcaSweepSpec? sweep = preset.Sweep is null ? null : preset.Sweep with
        {
            Values = o.Values?.Select(v => AsPositiveInt(v, preset.Sweep.Over)).ToArray() ?? preset.Sweep.Values,
            Coupling = o.Coupling ?? preset.Sweep.Coupling,
        };
        if (preset.Kind == FigureKind.Compare)
        {
            var gd = Shared(preset.Options) with
            {
                Lam = o.GdLam ?? preset.Options.Lam, Lr = o.GdLr ?? preset.Options.Lr, Init = o.GdInit
                    ?? preset.Options.Init,
            };
            return preset with { Options = gd, Sgd = Own(Shared(preset.Sgd!)) };
        }
        return preset with { Options = Own(Shared(preset.Options)), Sweep = sweep };
    }

    /// <summary>The preset with the overrides applied.</summary>
    /// <param name="preset">Preset.</param>
    /// <param name="o">Overrides.</param>
    public static IclFigurePreset Apply(IclFigurePreset preset, FigureOverrides o)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(o);
        IclOptions Shared(IclOptions x) => x with
        {
            D = o.D ?? x.D, Steps = o.Steps ?? x.Steps, Seeds = o.Seeds ?? x.Seeds, SpikePolicy = o.SigmaPolicy
                ?? x.SpikePolicy,
            Band = o.Band ?? x.Band, RecordEvery = o.RecordEvery ?? x.RecordEvery, N = o.N ?? x.N, Xi = o.Xi ?? x.Xi,
            Theta = o.Theta ?? x.Theta,
        };
        IclOptions Own(IclOptions x)
        {
            var y = x with
            {
                Head = o.Head ?? x.Head, L = o.L ?? x.L, Lam = o.Lam ?? x.Lam, Lr = o.Lr ?? x.Lr, Init = o.Init
                    ?? x.Init,
                Batch = o.Batch ?? x.Batch,
            };
            if (o.SigmasPerStep is not null || o.PromptsPerSigma is not null)
                y = y with { SigmasPerStep = o.SigmasPerStep ?? y.SigmasPerStep, PromptsPerSigma = o.PromptsPerSigma
                    ?? y.PromptsPerSigma };
            else if (o.Batch is not null) y = y with { SigmasPerStep = null, PromptsPerSigma = null };
            return y;
        }
        IclSweepSpec? sweep = preset.Sweep is null ? null : preset.Sweep with
        {
            Values = o.Values ?? preset.Sweep.Values, Coupling = o.Coupling ?? preset.Sweep.Coupling,
        };
        if (preset.Kind == FigureKind.Compare)
        {
            var gd = Shared(preset.Options) with
            {
                Lam = o.GdLam ?? preset.Options.Lam, Lr = o.GdLr ?? preset.Options.Lr, Init = o.GdInit
                    ?? preset.Options.Init,
            };
            return preset with { Options = gd, Sgd = Own(Shared(preset.Sgd!)) };
        }
        return preset with { Options = Own(Shared(preset.Options)), Sweep = sweep };
    }

    private static int AsPositiveInt(double v, SweepVariable over) => v >= 1 && v == Math.Floor(v) && v <= 100_000
        ? (int)v : throw new ArgumentException($"Sweep values for {over} must be positive integers (got {v}).");

    /// <summary>Runs a PCA figure.</summary>
    /// <param name="preset">Preset (after <see cref="Apply(PcaFigurePreset, FigureOverrides)"/>).</param>
    /// <param name="seed">Master seed (the paper's runs share it: the GD and SGD runs of a compare figure see the same
    /// per-figure Sigma).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PcaFigureResult Run(PcaFigurePreset preset, ulong seed, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preset);
        string task = $"{preset.Name}";
        return preset.Kind switch
        {
            FigureKind.Train => new(preset, seed, PcaExperiments.Train(preset.Options, seed, progress, task,
                cancellationToken), null, null),
            FigureKind.Sweep => new(preset, seed, null,
                PcaExperiments.Sweep(preset.Options, preset.Sweep
                    ?? throw new ArgumentException("A sweep figure needs a sweep."),
                    seed, progress, cancellationToken), null),
            _ => new(preset, seed, PcaExperiments.Train(preset.Options, seed, progress, task + " (GD)",
                cancellationToken), null,
                PcaExperiments.Train(preset.Sgd ?? throw new ArgumentException("A compare figure needs an SGD run."),
                    seed, progress,
                    task + " (SGD)", cancellationToken)),
        };
    }

    /// <summary>Runs an ICL figure.</summary>
    /// <param name="preset">Preset (after <see cref="Apply(IclFigurePreset, FigureOverrides)"/>).</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static IclFigureResult Run(IclFigurePreset preset, ulong seed, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preset);
        string task = $"{preset.Name}";
        return preset.Kind switch
        {
            FigureKind.Train => new(preset, seed, IclExperiments.Train(preset.Options, seed, progress, task,
                cancellationToken), null, null),
            FigureKind.Sweep => new(preset, seed, null,
                IclExperiments.Sweep(preset.Options, preset.Sweep
                    ?? throw new ArgumentException("A sweep figure needs a sweep."),
                    seed, progress, cancellationToken), null),
            _ => new(preset, seed, IclExperiments.Train(preset.Options, seed, progress, task + " (GD)",
                cancellationToken), null,
                IclExperiments.Train(preset.Sgd ?? throw new ArgumentException("A compare figure needs an SGD run."),
                    seed, progress,
                    task + " (SGD)", cancellationToken)),
        };
    }
}
