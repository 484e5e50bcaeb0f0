using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>How a user's data rows are prepared before training and PCA.</summary>
public enum DataScaling
{
    /// <summary>Subtract the column means (classical PCA of the covariance).</summary>
    Center,
    /// <summary>Subtract the column means and divide by the column standard deviations (PCA of the correlation;
    /// constant columns become 0).</summary>
    Standardize,
    /// <summary>Use the rows as given (second-moment matrix X'X/n).</summary>
    None,
}

/// <summary>Options of <see cref="DataFit.Run"/>: the head is trained on prompts of L rows drawn with replacement from
/// the prepared data and compared with classical PCA of the same rows.</summary>
/// <param name="Rank">Rank k (number of principal directions).</param>
/// <param name="L">Prompt length.</param>
/// <param name="Lam">Inverse temperature.</param>
/// <param name="Lr">Learning rate.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="Batch">Prompts per step.</param>
/// <param name="Seeds">Independent runs (each its own init and prompts).</param>
/// <param name="InitScale">s of the default init N(0, s^2/d); ignored when <paramref name="Init"/> is set.</param>
/// <param name="Records">Recorded points.</param>
/// <param name="Head">Softmax or linear SGD on the rows, or GD on R_inf with the empirical covariance.</param>
/// <param name="Scaling">Preparation of the rows.</param>
/// <param name="GaussianSurrogate">Draw tokens from N(0, Sigma_data) (sampled in its eigenbasis) instead of the
/// rows: same covariance, Gaussian, to separate non-Gaussian effects from finite-L and SGD effects.</param>
/// <param name="Init">Initial law; null means <see cref="InitLaw.ScaledGaussian"/>(InitScale).</param>
public sealed record DataFitOptions(int Rank = 1, int L = 100, double Lam = 0.01, double Lr = 0.01, int Steps = 2000,
    int Batch = 128, int Seeds = 3, double InitScale = 0.01, int Records = 100, TrainHead Head = TrainHead.Softmax,
    DataScaling Scaling = DataScaling.Center, bool GaussianSurrogate = false, InitLaw? Init = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the offending parameter.</summary>
    /// <param name="d">Data dimension.</param>
    public void Validate(int d)
    {
        if (Rank < 1 || Rank > d) throw new ArgumentException($"Rank must be in [1, {d}] (got {Rank}).");
        if (Head == TrainHead.LinearExact)
            throw new ArgumentException("Head LinearExact needs a Gaussian model; use Infinite.");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
        if (Records < 1) throw new ArgumentException("Records must be >= 1.");
        Init?.Validate();
    }
}

/// <summary>One run of a data fit against classical PCA.</summary>
/// <param name="Seed">Run index.</param>
/// <param name="Trace">Recorded trajectory (alignment = subspace alignment with the top-k PCs).</param>
/// <param name="PrincipalCosines">Cosines of the principal angles between the learned span and the top-k PCs.</param>
/// <param name="ProjectorDistance">||P_M - P_U||_F / sqrt(2k).</param>
/// <param name="ExplainedVarianceHead">Fraction of the total variance captured by the learned span.</param>
/// <param name="ReconstructionErrorHead">Variance outside the learned span.</param>
/// <param name="ComponentAlignment">For each of the top-k PCs u_i: ||P_M u_i|| (1 when u_i lies in the span).</param>
/// <param name="InitialParameters">mu_0 (k x d).</param>
public sealed record DataFitSeedRun(int Seed, TrainTrace Trace, double[] PrincipalCosines, double ProjectorDistance,
    double ExplainedVarianceHead, double ReconstructionErrorHead, double[] ComponentAlignment,
        double[] InitialParameters);

/// <summary>Result of a data fit.</summary>
/// <param name="Options">Options.</param>
/// <param name="Rows">Number of data rows.</param>
/// <param name="Eigenvalues">Eigenvalues of the data covariance, descending.</param>
/// <param name="Eigenvectors">Its unit eigenvectors (rows), descending order.</param>
/// <param name="Sigma">Covariance the prompts follow (diagonal in the eigenbasis for the Gaussian surrogate).</param>
/// <param name="TotalVariance">tr Sigma.</param>
/// <param name="ExplainedVariancePca">Fraction of variance of the top-k PCs.</param>
/// <param name="ReconstructionErrorPca">sum_{i>k} lambda_i.</param>
/// <param name="Runs">Runs.</param>
/// <param name="Alignment">Mean and band of the subspace alignment.</param>
public sealed record DataFitResult(DataFitOptions Options, int Rows, double[] Eigenvalues, double[][] Eigenvectors,
    Matrix Sigma, double TotalVariance, double ExplainedVariancePca, double ReconstructionErrorPca,
    IReadOnlyList<DataFitSeedRun> Runs, BandSeries Alignment)
{
    /// <summary>Relative eigengap (lambda_k - lambda_{k+1}) / lambda_k at the rank.</summary>
    public double RelativeEigengap
    {
        get
        {
            int k = Options.Rank;
            return k < Eigenvalues.Length
                && Eigenvalues[k - 1] > 0 ? (Eigenvalues[k - 1] - Eigenvalues[k]) / Eigenvalues[k - 1] : 1;
        }
    }
}

/// <summary>Trains a rank-k head on a user's data rows and compares the learned span with classical PCA.</summary>
public static class DataFit
{
    /// <summary>The rows prepared by <paramref name="scaling"/> (a new matrix).</summary>
    /// <param name="data">n x d rows.</param>
    /// <param name="scaling">Preparation.</param>
    public static Matrix Prepare(Matrix data, DataScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (scaling == DataScaling.Standardize) return Digits.Standardize(data);
        var z = data.Clone();
        if (scaling == DataScaling.None) return z;
        int n = data.Rows, d = data.Cols;
        for (int j = 0; j < d; j++)
        {
            double m = 0; for (int i = 0; i < n; i++) m += data[i, j]; m /= n;
            for (int i = 0; i < n; i++) z[i, j] = data[i, j] - m;
        }
        return z;
    }

    /// <summary>Trains <see cref="DataFitOptions.Seeds"/> runs (run s: init from <c>new
    /// Rng(seed).Split(s).Split(1)</c>,
    /// prompts from stream 2) and compares each learned span with the top-k principal components.</summary>
    /// <param name="data">n x d data rows (n >= 2), as given (they are prepared with the options' scaling).</param>
    /// <param name="o">Options.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="task">Task name reported to <paramref name="progress"/>.</param>
    /// <param name="cancellationToken">Checked between recorded points.</param>
    public static DataFitResult Run(Matrix data, DataFitOptions o, ulong seed,
        IProgress<ProgressUpdate>? progress = null,
        string task = "pca fit", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(o);
        if (data.Rows < 2) throw new ArgumentException($"data needs at least two rows (got {data.Rows}).");
        NumericsException.ThrowIfNotFinite(data, "data");
        o.Validate(data.Cols);
        var x = Prepare(data, o.Scaling);
        int n = x.Rows, d = x.Cols, k = o.Rank;
        var sigma = Blas.Gram(x, trans: true);
        for (int i = 0; i < sigma.Data.Length; i++) sigma.Data[i] /= n;
        var (vals, vecs) = PcaExperiments.SortedEigen(sigma);
        double t = sigma.Trace();
        double evPca = vals.Take(k).Sum() / t;
        double rePca = vals.Skip(k).Sum();
        var reference = vecs.Take(k).ToArray();
        IPromptSource source;
        if (o.GaussianSurrogate)
        {
            // Gaussian tokens with the data spectrum, sampled in the eigenbasis (exactly equivalent to
            // N(0, Sigma_data) by rotation equivariance of the head and the isotropic init): O(L d) sampling.
            sigma = Matrix.Diagonal(vals.Select(v => Math.Max(0, v)).ToArray());
            vecs = Enumerable.Range(0, d).Select(i => { var e = new double[d]; e[i] = 1; return e; }).ToArray();
            reference = vecs.Take(k).ToArray();
            source = new GaussianPromptSource(sigma);
        }
        else source = new DatasetPromptSource(x);
        var root = new Rng(seed);
        int recordEvery = Math.Max(1, o.Steps / o.Records);
        long total = (long)o.Seeds * o.Steps;
        var init0 = o.Init ?? InitLaw.ScaledGaussian(o.InitScale);
        var runs = new List<DataFitSeedRun>();
        for (int s = 0; s < o.Seeds; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var srng = root.Split((ulong)s);
            var init = init0.Draw(srng.Split(1), k, d);
            Trainer.LossGradient lg;
            if (o.Head == TrainHead.Infinite)
            {
                var sg = sigma;
                lg = (m, _, g) => { ClosedForms.RInfRankKGradient(sg, m, k,
                    o.Lam).CopyTo(g); return ClosedForms.RInfRankK(sg, m, k, o.Lam); };
            }
            else
            {
                var bg = new BatchGradient(source, o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear,
                    o.L, k, o.Lam, o.Batch);
                lg = (m, rng, g) => bg.Compute(m, g, rng);
            }
            int si = s;
            var trace = Trainer.Run(lg, init, k, d, o.Lr, o.Steps, recordEvery, reference, srng.Split(2),
                step => progress.Report(task, (double)si * o.Steps + step, total), cancellationToken);
            var cos = Subspace.PrincipalCosines(trace.FinalParameters, k, d, reference);
            double pd = Subspace.ProjectorDistance(trace.FinalParameters, k, d, reference);
            // Variance captured by the learned span: tr(Q Sigma Q') for an orthonormal basis Q of the span.
            var q = Subspace.Orthonormalize(trace.FinalParameters, k, d);
            double captured = 0;
            foreach (var row in q) captured += TensorPrimitives.Dot(row, sigma.Multiply(row));
            var perComponent = reference.Select(u => Math.Sqrt(Math.Min(1, q.Sum(b => Math.Pow(TensorPrimitives.Dot(b,
                u), 2)))))
                .ToArray();
            runs.Add(new DataFitSeedRun(s, trace, cos, pd, captured / t, t - captured, perComponent, init));
        }
        return new DataFitResult(o, n, vals, vecs, sigma, t, evPca, rePca, runs,
            BandSeries.From(runs.Select(r => r.Trace).ToList(), tr => tr.Alignment));
    }
}
