using System.Globalization;
using System.IO.Compression;
using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>The 8x8 handwritten digits (1797 x 64, UCI / scikit-learn; see data/digits/README.md), embedded.</summary>
public static class Digits
{
    public const string ResourceName = "AttentionSpectra.Data.digits.csv.gz";

    /// <summary>(pixels 1797 x 64 in 0..16, labels).</summary>
    public static (Matrix Pixels, int[] Labels) Load()
    {
        using var raw = typeof(Digits).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new FileNotFoundException($"Embedded resource '{ResourceName}' is missing from the library.");
        using var gz = new GZipStream(raw, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var rows = new List<double[]>(); var labels = new List<int>();
        string? line; int lineNo = 0;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split(',');
            if (parts.Length != 65) throw new InvalidDataException($"digits.csv line {lineNo}: expected 65 fields, got {parts.Length}.");
            var r = new double[64];
            for (int j = 0; j < 64; j++) r[j] = double.Parse(parts[j], CultureInfo.InvariantCulture);
            rows.Add(r); labels.Add(int.Parse(parts[64], CultureInfo.InvariantCulture));
        }
        return (Matrix.FromRows(rows), labels.ToArray());
    }

    /// <summary>Column-standardised copy (zero mean, unit variance; constant columns become 0).</summary>
    public static Matrix Standardize(Matrix x)
    {
        var z = x.Clone();
        int n = x.Rows, d = x.Cols;
        for (int j = 0; j < d; j++)
        {
            double m = 0; for (int i = 0; i < n; i++) m += x[i, j]; m /= n;
            double v = 0; for (int i = 0; i < n; i++) v += (x[i, j] - m) * (x[i, j] - m); v /= n;
            double s = v > 1e-12 ? 1 / Math.Sqrt(v) : 0;
            for (int i = 0; i < n; i++) z[i, j] = (x[i, j] - m) * s;
        }
        return z;
    }
}

/// <summary>Options of the digits comparison. <see cref="GaussianSurrogate"/>: draw tokens from N(0, Sigma_digits)
/// instead of the data rows (same covariance, Gaussian), to separate non-Gaussian effects from finite-L effects.</summary>
public sealed record DigitsOptions(int Rank = 3, int L = 100, double Lam = 0.01, double Lr = 0.01, int Steps = 2000, int Batch = 128,
    int Seeds = 3, double InitScale = 0.01, int Records = 100, TrainHead Head = TrainHead.Softmax, bool GaussianSurrogate = false)
{
    public void Validate()
    {
        if (Rank < 1 || Rank > 64) throw new ArgumentException($"--rank must be in [1, 64] (got {Rank}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
    }
}

/// <summary>Per-seed comparison of the learned span with classical PCA of the standardised digits.</summary>
public sealed record DigitsSeedRun(int Seed, TrainTrace Trace, double[] PrincipalCosines, double ProjectorDistance,
    double ExplainedVarianceHead, double ReconstructionErrorHead);

public sealed record DigitsResult(DigitsOptions Options, double[] Eigenvalues, double TotalVariance, double ExplainedVariancePca,
    double ReconstructionErrorPca, IReadOnlyList<DigitsSeedRun> Runs, BandSeries Alignment);

public static class DigitsExperiment
{
    public static DigitsResult Run(DigitsOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var data = Digits.Standardize(Digits.Load().Pixels);
        int n = data.Rows, d = data.Cols, k = o.Rank;
        var sigma = Blas.Gram(data, trans: true);
        for (int i = 0; i < sigma.Data.Length; i++) sigma.Data[i] /= n;
        var (vals, vecs) = PcaExperiments.SortedEigen(sigma);
        double t = sigma.Trace();
        double evPca = vals.Take(k).Sum() / t;
        double rePca = vals.Skip(k).Sum();
        var reference = vecs.Take(k).ToArray();
        IPromptSource source;
        if (o.GaussianSurrogate)
        {
            // Gaussian tokens with the digits spectrum, sampled in the eigenbasis (exactly equivalent to
            // N(0, Sigma_digits) by rotation equivariance of the head and the isotropic init): O(L d) sampling.
            sigma = Matrix.Diagonal(vals.Select(v => Math.Max(0, v)).ToArray());
            reference = Enumerable.Range(0, k).Select(i => { var e = new double[d]; e[i] = 1; return e; }).ToArray();
            source = new GaussianPromptSource(sigma);
        }
        else source = new DatasetPromptSource(data);
        var root = new Rng(seed);
        int recordEvery = Math.Max(1, o.Steps / o.Records);
        long total = (long)o.Seeds * o.Steps;
        var runs = new List<DigitsSeedRun>();
        for (int s = 0; s < o.Seeds; s++)
        {
            var srng = root.Split((ulong)s);
            var init = PcaExperiments.Init(srng.Split(1), k, d, o.InitScale);
            Trainer.LossGradient lg;
            if (o.Head == TrainHead.Infinite)
            {
                lg = (m, _, g) => { ClosedForms.RInfRankKGradient(sigma, m, k, o.Lam).CopyTo(g); return ClosedForms.RInfRankK(sigma, m, k, o.Lam); };
            }
            else
            {
                var bg = new BatchGradient(source, o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear, o.L, k, o.Lam, o.Batch);
                lg = (m, rng, g) => bg.Compute(m, g, rng);
            }
            int si = s;
            var trace = Trainer.Run(lg, init, k, d, o.Lr, o.Steps, recordEvery, reference, srng.Split(2),
                step => progress.Report(o.GaussianSurrogate ? "pca digits (Gaussian surrogate)" : "pca digits", (double)si * o.Steps + step, total));
            var cos = Subspace.PrincipalCosines(trace.FinalParameters, k, d, reference);
            double pd = Subspace.ProjectorDistance(trace.FinalParameters, k, d, reference);
            // Variance captured by the learned span: tr(Q Sigma Q') for an orthonormal basis Q of the span.
            var q = Subspace.Orthonormalize(trace.FinalParameters, k, d);
            double captured = 0;
            foreach (var row in q) captured += TensorPrimitives.Dot(row, sigma.Multiply(row));
            runs.Add(new DigitsSeedRun(s, trace, cos, pd, captured / t, t - captured));
        }
        return new DigitsResult(o, vals, t, evPca, rePca, runs, BandSeries.From(runs.Select(r => r.Trace).ToList(), x => x.Alignment));
    }
}
