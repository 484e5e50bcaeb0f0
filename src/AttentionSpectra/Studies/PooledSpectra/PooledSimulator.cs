using AttentionSpectra.Sharding;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>How the simulator finds the top eigenpairs of S = C'C/N.</summary>
public enum EigenPath
{
    /// <summary>By shape: <see cref="GramLanczos"/> when S fits a fast cache and is cheap to form (d ≤ N/4),
    /// else <see cref="Operator"/>.</summary>
    Auto,
    /// <summary>Lanczos on the Gram operator x ↦ C'(Cx)/N (S never formed; one pass over C per step).</summary>
    Operator,
    /// <summary>S formed by <see cref="Blas.Syrk"/> (a GEMM), then Lanczos on S (one pass over the d × d matrix per
    /// step, which stays in cache for moderate d).</summary>
    GramLanczos,
}

/// <summary>One simulated draw: top two eigenvalues of S and the squared overlap (v̂₁·μ/|μ|)².</summary>
/// <param name="Top">Largest eigenvalue of S.</param>
/// <param name="Second">Second eigenvalue of S.</param>
/// <param name="Overlap">Squared overlap of the top eigenvector with μ/|μ|.</param>
public readonly record struct TrialResult(double Top, double Second, double Overlap);

/// <summary>Mean ± standard error over trials at one signal strength, with the theory prediction.</summary>
public sealed record PhasePoint(double Snr, double Rho, int Trials, double TopMean, double TopSe, double SecondMean, double SecondSe,
    double OverlapMean, double OverlapSe, SpikePrediction Theory);

/// <summary>Simulator of the pooled-sequence model: builds C directly, top eigenpairs by Lanczos on C'C/N as an
/// operator, full spectrum by the dense symmetric eigensolver; trials in parallel with rng.Split(trial).</summary>
public static class PooledSimulator
{
    /// <summary>Reusable per-thread buffers (table, pooled rows, signal factor).</summary>
    public sealed class Workspace(PooledModel m)
    {
        /// <summary>Token table: the model's fixed table, or a buffer refilled with a Gaussian table per trial.</summary>
        public readonly Matrix Table = m.FixedTable ?? new(m.V, m.D);
        /// <summary>The N pooled rows.</summary>
        public readonly Matrix Pooled = new(m.N, m.D);
        /// <summary>B'(a∘w) for a factor B B' = R (Cholesky, or eigen square root if R is singular).</summary>
        public readonly double[] SignalLoading = Correlations.Factor(m.R).Transpose().Multiply(m.SignalWeights);
        /// <summary>Signal amplitude a_n·|μ| of each pooled row.</summary>
        internal readonly double[] Amplitude = new double[m.N];
        /// <summary>Token indices, row n at [n·T, (n+1)·T).</summary>
        internal readonly int[] Tokens = new int[m.N * m.T];
        /// <summary>S = C'C/N when the trial forms it (allocated on first use).</summary>
        internal Matrix? Gram;
    }

    /// <summary>Fill ws.Pooled with the N pooled rows for signal strength |μ|² = snr; returns the unit direction of μ.
    /// The table is centred (column means removed) so that repeated tokens / the table mean add no spurious spike.</summary>
    public static double[] BuildPooled(PooledModel m, double snr, Rng rng, Workspace ws, bool parallelRows = false)
    {
        if (!(snr >= 0) || !double.IsFinite(snr)) throw new ArgumentException($"Signal strength |mu|^2 must be finite and >= 0, got {snr}.");
        int d = m.D, v = m.V, t = m.T;
        var tableRng = rng.Split(0);
        var dirRng = rng.Split(1);
        var rowsRng = rng.Split(2);
        var z = ws.Table;
        if (m.FixedTable == null)
        {
            tableRng.FillGaussian(z.Data);
            PooledModel.CentreInPlace(z);
        }
        var u = dirRng.UnitVector(d);
        double muNorm = Math.Sqrt(snr);
        var w = m.Weights;
        var bw = ws.SignalLoading;
        // Draw each row's signal amplitude and tokens first (the same stream per row as always), then form the
        // rows in column strips: a strip of the table (V x 32) stays in the core's cache while every row gathers
        // its T tokens from it, instead of T random 8·d-byte table rows per pooled row coming from memory. Each
        // element sees the same operations in the same order, so the result is bit-for-bit the row-wise one.
        var amp = ws.Amplitude;
        var tokens = ws.Tokens;
        void Draw(int n)
        {
            var r = rowsRng.Split((ulong)n);
            Span<double> g = t <= 256 ? stackalloc double[t] : new double[t];
            r.FillGaussian(g);
            amp[n] = TensorPrimitives.Dot<double>(bw, g) * muNorm; // a = w' B g with B B' = R, so Var a = w'Rw
            for (int i = 0; i < t; i++) tokens[n * t + i] = r.NextInt(v);
        }
        int strips = (d + StripWidth - 1) / StripWidth;
        void Strip(int s)
        {
            int c0 = s * StripWidth, cw = Math.Min(StripWidth, d - c0);
            if (cw == StripWidth && Vector512.IsHardwareAccelerated)
            {
                FullStrip(z.Data, d, c0, u, amp, tokens, w, ws.Pooled.Data);
                return;
            }
            var us = new ReadOnlySpan<double>(u, c0, cw);
            for (int n = 0; n < m.N; n++)
            {
                var row = ws.Pooled.Row(n).Slice(c0, cw);
                TensorPrimitives.Multiply<double>(us, amp[n], row);
                for (int i = 0; i < t; i++)
                    TensorPrimitives.MultiplyAdd<double>(z.RowReadOnly(tokens[n * t + i]).Slice(c0, cw), w[i], row, row);
            }
        }
        if (parallelRows)
        {
            Parallel.For(0, m.N, Draw);
            Parallel.For(0, strips, Strip);
        }
        else
        {
            for (int n = 0; n < m.N; n++) Draw(n);
            for (int s = 0; s < strips; s++) Strip(s);
        }
        return u;
    }

    /// <summary>One full strip (columns c0..c0+32) of every pooled row, the row held in four 512-bit registers while
    /// its T tokens are gathered: row = u·amp, then row = z_tok·w_i + row for each token in order (multiply, then
    /// add: the same two roundings per element as <see cref="TensorPrimitives.MultiplyAdd{T}(ReadOnlySpan{T}, T,
    /// ReadOnlySpan{T}, Span{T})"/>).</summary>
    private static void FullStrip(double[] table, int d, int c0, double[] u, double[] amp, int[] tokens, double[] w,
        double[] pooled)
    {
        int t = w.Length, rows = amp.Length;
        ref double z0 = ref table[c0];
        ref double u0 = ref u[c0];
        var ua = Vector512.LoadUnsafe(ref u0);
        var ub = Vector512.LoadUnsafe(ref u0, 8);
        var uc = Vector512.LoadUnsafe(ref u0, 16);
        var ud = Vector512.LoadUnsafe(ref u0, 24);
        for (int n = 0; n < rows; n++)
        {
            var s = Vector512.Create(amp[n]);
            Vector512<double> a = ua * s, b = ub * s, c = uc * s, e = ud * s;
            int tk = n * t;
            for (int i = 0; i < t; i++)
            {
                var wi = Vector512.Create(w[i]);
                nuint off = (nuint)tokens[tk + i] * (nuint)d;
                a = Vector512.LoadUnsafe(ref z0, off) * wi + a;
                b = Vector512.LoadUnsafe(ref z0, off + 8) * wi + b;
                c = Vector512.LoadUnsafe(ref z0, off + 16) * wi + c;
                e = Vector512.LoadUnsafe(ref z0, off + 24) * wi + e;
            }
            ref double r = ref pooled[(long)n * d + c0];
            a.StoreUnsafe(ref r);
            b.StoreUnsafe(ref r, 8);
            c.StoreUnsafe(ref r, 16);
            e.StoreUnsafe(ref r, 24);
        }
    }

    /// <summary>Columns per strip when forming the pooled rows (a V × 32 strip of the table is 512 KiB at V = 2000).</summary>
    private const int StripWidth = 32;

    /// <summary>Relative residual tolerances of the two Lanczos pairs of a trial: the top pair (its eigenvector
    /// gives the overlap) to 1e-6, the second (only its eigenvalue is used; error ~ residual²/gap) to 1e-4.</summary>
    public static readonly double[] TrialTolerances = [1e-6, 1e-4];

    /// <summary>One trial: top two eigenvalues of S and the squared overlap of the top eigenvector with μ.</summary>
    public static TrialResult Trial(PooledModel m, double snr, Rng rng, Workspace? ws = null, bool parallelRows = false, EigenPath path = EigenPath.Auto)
    {
        ws ??= new Workspace(m);
        var u = BuildPooled(m, snr, rng, ws, parallelRows);
        if (path == EigenPath.Auto) path = 4 * m.D <= m.N ? EigenPath.GramLanczos : EigenPath.Operator;
        SymmetricOperator op;
        if (path == EigenPath.GramLanczos)
        {
            var s = ws.Gram ??= new Matrix(m.D, m.D);
            Blas.Syrk(ws.Pooled, s, 1.0 / m.N, 0.0, trans: true);
            op = s.MultiplyInto;
        }
        else op = Lanczos.GramOperator(ws.Pooled, 1.0 / m.N);
        var top = Lanczos.TopK(op, m.D, 2, TrialTolerances, rng.Split(3), blockSize: 1);
        double ov = TensorPrimitives.Dot<double>(top.Vector(0), u);
        return new TrialResult(top.Values[0], top.Values[1], ov * ov);
    }

    /// <summary>Full spectrum of S (ascending) for one draw, plus the squared overlap of the top eigenvector with μ.</summary>
    public static (double[] Eigenvalues, double TopOverlap) Spectrum(PooledModel m, double snr, Rng rng)
    {
        var ws = new Workspace(m);
        var u = BuildPooled(m, snr, rng, ws, parallelRows: true);
        var s = new Matrix(m.D, m.D);
        Blas.Syrk(ws.Pooled, s, 1.0 / m.N, 0.0, trans: true);
        var e = SymmetricEigen.Decompose(s);
        var top = e.Vector(m.D - 1);
        double ov = TensorPrimitives.Dot<double>(top, u);
        return (e.Values, ov * ov);
    }

    /// <summary>Phase diagram: for each |μ|² in <paramref name="snrs"/>, <paramref name="trials"/> independent draws
    /// (task index i = point·trials + trial uses rng.Split(i), so results do not depend on scheduling).</summary>
    public static PhasePoint[] Phase(PooledModel m, IReadOnlyList<double> snrs, int trials, Rng rng, IProgress<ProgressUpdate>? progress = null, string task = "rmt phase",
        EigenPath path = EigenPath.Auto, CancellationToken cancellationToken = default) =>
        Phase(m, snrs, trials, rng, ShardMode.InProcess, null, progress, task, path, cancellationToken)!;

    /// <summary>The phase diagram under a <see cref="ShardMode"/>: unit i = point·trials + trial is one draw from
    /// rng.Split(i). A shard that only stores its units returns null; a single-process run and a merge return the
    /// same points, bit for bit.</summary>
    /// <param name="m">The model.</param>
    /// <param name="snrs">Values of |μ|².</param>
    /// <param name="trials">Draws per value (≥ 2).</param>
    /// <param name="rng">Randomness (unit i uses rng.Split(i)).</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (needed unless <paramref name="mode"/> is in process).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="task">Progress label.</param>
    /// <param name="path">Eigen path of a trial.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static PhasePoint[]? Phase(PooledModel m, IReadOnlyList<double> snrs, int trials, Rng rng, ShardMode mode,
        ShardPlan? plan, IProgress<ProgressUpdate>? progress = null, string task = "rmt phase",
        EigenPath path = EigenPath.Auto, CancellationToken cancellationToken = default)
    {
        if (trials < 2) throw new ArgumentException($"Need at least 2 trials per point for error bars, got {trials}.");
        if (snrs.Count == 0) throw new ArgumentException("No SNR values given.");
        int total = snrs.Count * trials;
        plan ??= new ShardPlan(task, [], total, "SNR point × trial");
        if (plan.TotalUnits != total)
            throw new ArgumentException($"The plan has {plan.TotalUnits} units, the phase diagram {total}.", nameof(plan));
        var results = ShardedRun.Run(plan, mode, () => new Workspace(m),
            (i, ws) => Trial(m, snrs[i / trials], rng.Split((ulong)i), ws, false, path), progress, task, cancellationToken);
        if (results == null) return null;
        var th = m.Theory();
        var pts = new PhasePoint[snrs.Count];
        for (int p = 0; p < snrs.Count; p++)
            pts[p] = Summarise(m, th, snrs[p], new ArraySegment<TrialResult>(results, p * trials, trials));
        return pts;
    }

    /// <summary>Means and standard errors of the draws at one |μ|², with the theory's prediction there.</summary>
    /// <param name="m">The model.</param>
    /// <param name="theory">Its spike theory (<see cref="PooledModel.Theory"/>).</param>
    /// <param name="snr">|μ|² of the draws.</param>
    /// <param name="draws">The draws.</param>
    public static PhasePoint Summarise(PooledModel m, SpikeTheory theory, double snr, IReadOnlyCollection<TrialResult> draws)
    {
        var (tm, ts) = MeanSe(draws.Select(r => r.Top));
        var (sm, ss) = MeanSe(draws.Select(r => r.Second));
        var (om, os) = MeanSe(draws.Select(r => r.Overlap));
        double rho = m.Rho(snr);
        return new PhasePoint(snr, rho, draws.Count, tm, ts, sm, ss, om, os, theory.Predict(rho));
    }

    /// <summary>Sample mean and standard error of the mean.</summary>
    public static (double Mean, double Se) MeanSe(IEnumerable<double> xs)
    {
        var a = xs.ToArray();
        if (a.Length == 0) throw new ArgumentException("No samples.");
        double mean = a.Average();
        if (a.Length == 1) return (mean, 0);
        double v = a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1);
        return (mean, Math.Sqrt(v / a.Length));
    }
}
