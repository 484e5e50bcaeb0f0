using System.Globalization;
using System.IO.Compression;
using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>The 8x8 handwritten digits (1797 x 64, UCI / scikit-learn; see data/digits/README.md), embedded.</summary>
public static class Digits
{
    /// <summary>Name of the embedded gzip-compressed CSV resource.</summary>
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
    /// <summary>Throw <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Rank < 1 || Rank > 64) throw new ArgumentException($"Rank must be in [1, 64] (got {Rank}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
    }
}

/// <summary>Per-seed comparison of the learned span with classical PCA of the standardised digits.</summary>
public sealed record DigitsSeedRun(int Seed, TrainTrace Trace, double[] PrincipalCosines, double ProjectorDistance,
    double ExplainedVarianceHead, double ReconstructionErrorHead);

/// <summary>Result of the digits comparison.</summary>
/// <param name="Options">The options it ran with.</param>
/// <param name="Eigenvalues">Eigenvalues of the standardised digits' covariance, descending.</param>
/// <param name="TotalVariance">Their sum (the trace).</param>
/// <param name="ExplainedVariancePca">Fraction of the variance in the top-k principal subspace.</param>
/// <param name="ReconstructionErrorPca">Mean squared reconstruction error of the top-k principal projection.</param>
/// <param name="Runs">One run per seed.</param>
/// <param name="Alignment">Alignment with the principal subspace against steps: mean and band over seeds.</param>
public sealed record DigitsResult(DigitsOptions Options, double[] Eigenvalues, double TotalVariance, double ExplainedVariancePca,
    double ReconstructionErrorPca, IReadOnlyList<DigitsSeedRun> Runs, BandSeries Alignment);

/// <summary>The digits comparison: <see cref="DataFit"/> on the column-standardised digits.</summary>
public static class DigitsExperiment
{
    /// <summary>Runs the comparison.</summary>
    /// <param name="o">Options.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    public static DigitsResult Run(DigitsOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var fit = DataFit.Run(Digits.Load().Pixels, ToFitOptions(o), seed, progress,
            o.GaussianSurrogate ? "pca digits (Gaussian surrogate)" : "pca digits");
        var runs = fit.Runs.Select(r => new DigitsSeedRun(r.Seed, r.Trace, r.PrincipalCosines, r.ProjectorDistance,
            r.ExplainedVarianceHead, r.ReconstructionErrorHead)).ToList();
        return new DigitsResult(o, fit.Eigenvalues, fit.TotalVariance, fit.ExplainedVariancePca, fit.ReconstructionErrorPca,
            runs, fit.Alignment);
    }

    /// <summary>The <see cref="DataFitOptions"/> equivalent of digits options (standardised rows).</summary>
    /// <param name="o">Digits options.</param>
    public static DataFitOptions ToFitOptions(DigitsOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new DataFitOptions(o.Rank, o.L, o.Lam, o.Lr, o.Steps, o.Batch, o.Seeds, o.InitScale, o.Records, o.Head,
            DataScaling.Standardize, o.GaussianSurrogate);
    }
}
