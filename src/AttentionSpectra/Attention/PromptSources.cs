using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Attention;

/// <summary>Draws prompts X (L tokens in R^d, row-major L x d). Implementations are immutable and thread-safe;
/// all randomness comes from the <see cref="Rng"/> passed in, and per-call scratch from the caller.</summary>
public interface IPromptSource
{
    /// <summary>Token dimension d.</summary>
    int Dimension { get; }
    /// <summary>Scratch length (doubles) needed by <see cref="Sample"/> for prompts of length L.</summary>
    int ScratchLength(int l);
    /// <summary>Draws one prompt of <paramref name="l"/> tokens into <paramref name="x"/> (at least L x d values,
    /// row-major), using only <paramref name="rng"/> and <paramref name="scratch"/> (at least
    /// <see cref="ScratchLength"/>(L) values).</summary>
    void Sample(Rng rng, int l, Span<double> x, Span<double> scratch);
}

/// <summary>A prompt source that can draw a block of prompts at once (for instance through one GEMM). Prompt i of a
/// block must be the prompt that <see cref="IPromptSource.Sample"/> draws from <c>stepRng.Split(first + i)</c>, up
/// to rounding.</summary>
internal interface IBlockPromptSource : IPromptSource
{
    /// <summary>Whether <see cref="SampleBlock"/> is faster than per-prompt sampling for this source.</summary>
    bool PrefersBlocks { get; }

    /// <summary>Draws prompts first .. first + count - 1 (prompt i from <c>stepRng.Split(first + i)</c>) into
    /// <paramref name="x"/> (count x L x d, prompt after prompt); <paramref name="z"/> is scratch of the same size.</summary>
    void SampleBlock(Rng stepRng, int first, int count, int l, Span<double> x, Span<double> z);
}

/// <summary>Tokens iid N(0, Sigma), sampled as x = C z with C the lower Cholesky factor of Sigma
/// (or, when Sigma is diagonal, C = sqrt(diag)).</summary>
public sealed class GaussianPromptSource : IPromptSource, IBlockPromptSource
{
    private readonly double[] _factor; // d x d (lower triangular unless _full), row-major, or d values when diagonal
    private readonly bool _diagonal;
    private readonly bool _full;
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <summary>The token covariance (a copy of the one given).</summary>
    public Matrix Sigma { get; }

    /// <summary>Tokens N(0, <paramref name="sigma"/>); the covariance must be square, finite and positive definite
    /// (its Cholesky factor is taken here).</summary>
    public GaussianPromptSource(Matrix sigma)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        NumericsException.ThrowIfNotSquare(sigma, "Token covariance");
        NumericsException.ThrowIfNotFinite(sigma, "Token covariance");
        Sigma = sigma.Clone();
        Dimension = sigma.Rows;
        int d = Dimension;
        bool diag = true;
        for (int i = 0; i < d && diag; i++)
            for (int j = 0; j < d; j++)
                if (i != j && sigma[i, j] != 0) { diag = false; break; }
        _diagonal = diag;
        if (diag)
        {
            _factor = new double[d];
            for (int i = 0; i < d; i++)
            {
                if (!(sigma[i, i] >= 0)) throw new NumericsException($"Token covariance has a negative variance at index {i}.");
                _factor[i] = Math.Sqrt(sigma[i, i]);
            }
        }
        else
        {
            _factor = Cholesky.Factor(sigma).Data;
        }
    }

    private GaussianPromptSource(Matrix sigma, double[] factor)
    {
        Sigma = sigma; Dimension = sigma.Rows; _factor = factor; _full = true;
    }

    /// <summary>Tokens x = C z for a given square factor C (covariance C C'); works for singular covariances.</summary>
    public static GaussianPromptSource FromFactor(Matrix c)
    {
        ArgumentNullException.ThrowIfNull(c);
        NumericsException.ThrowIfNotSquare(c, "Covariance factor");
        NumericsException.ThrowIfNotFinite(c, "Covariance factor");
        return new GaussianPromptSource(Blas.Multiply(c, c, transB: true), (double[])c.Data.Clone());
    }

    /// <inheritdoc/>
    public int ScratchLength(int l) => l * Dimension;

    /// <summary>Block sampling pays off once the factor is not diagonal and d is not tiny: one GEMM per block of
    /// prompts instead of one matrix-vector product per token (at d = 5 the per-prompt path measured as fast).</summary>
    bool IBlockPromptSource.PrefersBlocks => !_diagonal && Dimension >= BlockMinimumDimension;

    /// <summary>Whether <see cref="BatchGradient"/> can work in the coordinates of the normals Z (X = Z C'): any
    /// non-diagonal factor, from d = <see cref="BlockMinimumDimension"/> on (below, the per-prompt path keeps the
    /// numbers of earlier versions bit for bit).</summary>
    internal bool PrefersWhitened => !_diagonal && Dimension >= BlockMinimumDimension;

    /// <summary>The factor C (Sigma = C C') as a dense d x d matrix: the lower triangle of the Cholesky factor with
    /// zeros above it, or the full factor given to <see cref="FromFactor"/>.</summary>
    internal Matrix FactorMatrix()
    {
        int d = Dimension;
        var c = new Matrix(d, d);
        if (_diagonal) for (int i = 0; i < d; i++) c[i, i] = _factor[i];
        else if (_full) _factor.CopyTo(c.Data, 0);
        else for (int i = 0; i < d; i++) _factor.AsSpan(i * d, i + 1).CopyTo(c.Row(i));
        return c;
    }

    /// <summary>Smallest d for which <see cref="BatchGradient"/> samples through blocks.</summary>
    internal const int BlockMinimumDimension = 32;

    /// <summary>Width of the column blocks of X = Z C' (a lower-triangular C is used block by block, skipping the zero
    /// upper part).</summary>
    private const int ColumnBlock = 256;

    /// <inheritdoc cref="IBlockPromptSource.SampleBlock"/>
    unsafe void IBlockPromptSource.SampleBlock(Rng stepRng, int first, int count, int l, Span<double> x, Span<double> z)
    {
        int d = Dimension, rows = count * l;
        if (x.Length < rows * d || z.Length < rows * d) throw new ArgumentException("Block buffers too small.");
        if (_diagonal)
        {
            for (int i = 0; i < count; i++)
                Sample(stepRng.Split((ulong)(first + i)), l, x.Slice(i * l * d, l * d), z.Slice(i * l * d, l * d));
            return;
        }
        // Z: the same Gaussian stream as Sample (prompt first + i draws its L x d normals from stepRng.Split(first + i)).
        fixed (double* pz0 = z)
        {
            nint pzn = (nint)pz0;
            int per = l * d;
            EigenKernels.For(count, (long)rows * d >= 65_536, i =>
                stepRng.Split((ulong)(first + i)).FillGaussian(new Span<double>((double*)pzn + (long)i * per, per)));
        }
        // X = Z C' by GEMM; for a lower-triangular C, column block [j0, j1) of X needs only Z[:, 0..j1).
        fixed (double* pz = z, pc = _factor, px = x)
        {
            for (int j0 = 0; j0 < d; j0 += ColumnBlock)
            {
                int j1 = Math.Min(d, j0 + ColumnBlock), kk = _full ? d : j1;
                GemmCore.Run(rows, j1 - j0, kk, pz, d, false, pc + (long)j0 * d, d, true, px + j0, d, 1.0, 0.0);
            }
        }
    }

    /// <inheritdoc/>
    public void Sample(Rng rng, int l, Span<double> x, Span<double> scratch)
    {
        int d = Dimension;
        if (x.Length < l * d) throw new ArgumentException("Prompt buffer too small.");
        if (scratch.Length < ScratchLength(l)) throw new ArgumentException($"Scratch buffer too small (need {ScratchLength(l)}).");
        if (_diagonal)
        {
            rng.FillGaussian(x[..(l * d)]);
            for (int t = 0; t < l; t++) TensorPrimitives.Multiply(x.Slice(t * d, d), _factor, x.Slice(t * d, d));
            return;
        }
        var zall = scratch[..(l * d)];
        rng.FillGaussian(zall);
        ReadOnlySpan<double> c = _factor;
        for (int t = 0; t < l; t++)
        {
            var z = zall.Slice(t * d, d);
            var row = x.Slice(t * d, d);
            if (_full) for (int i = 0; i < d; i++) row[i] = TensorPrimitives.Dot(c.Slice(i * d, d), z);
            else for (int i = 0; i < d; i++) row[i] = TensorPrimitives.Dot(c.Slice(i * d, i + 1), z[..(i + 1)]);
        }
    }
}

/// <summary>In-context prompts of docs/theory.md §A: each prompt draws its own covariance
/// Sigma = sum_{r=1..n} y_r y_r' with y_r ~ N(0, V), V = xi^2 I + theta v v' (|v| = 1), then L tokens
/// x ~ N(0, Sigma), sampled as x = Y g with Y = [y_1..y_n] (d x n) and g ~ N(0, I_n).</summary>
public sealed class SpikedWishartPromptSource : IPromptSource
{
    private readonly double[] _v;
    /// <inheritdoc/>
    public int Dimension { get; }
    /// <summary>Number n of vectors y_r whose outer products form a prompt's covariance.</summary>
    public int N { get; }
    /// <summary>Isotropic noise level xi of V = xi^2 I + theta v v'.</summary>
    public double Xi { get; }
    /// <summary>Spike strength theta of V = xi^2 I + theta v v'.</summary>
    public double Theta { get; }
    /// <summary>The unit spike direction v.</summary>
    public ReadOnlySpan<double> Spike => _v;

    /// <summary>Spike direction <paramref name="v"/> (normalised here; non-zero), <paramref name="n"/> >= 1,
    /// <paramref name="xi"/> > 0 and <paramref name="theta"/> >= 0.</summary>
    public SpikedWishartPromptSource(ReadOnlySpan<double> v, int n, double xi, double theta)
    {
        if (v.Length < 1) throw new ArgumentException("Spike direction must have dimension >= 1.");
        if (n < 1) throw new ArgumentException($"ICL Wishart degrees of freedom n must be >= 1 (got {n}).");
        if (!(xi > 0) || !double.IsFinite(xi)) throw new ArgumentException($"ICL noise level xi must be positive (got {xi}).");
        if (!(theta >= 0) || !double.IsFinite(theta)) throw new ArgumentException($"ICL spike strength theta must be >= 0 (got {theta}).");
        double norm = TensorPrimitives.Norm(v);
        if (!(norm > 0) || !double.IsFinite(norm)) throw new ArgumentException("Spike direction must be non-zero and finite.");
        _v = new double[v.Length];
        TensorPrimitives.Divide(v, norm, _v);
        Dimension = v.Length; N = n; Xi = xi; Theta = theta;
    }

    /// <inheritdoc/>
    public int ScratchLength(int l) => Dimension * N + l * N;

    /// <inheritdoc/>
    public void Sample(Rng rng, int l, Span<double> x, Span<double> scratch)
    {
        int d = Dimension, n = N;
        var y = scratch[..(n * d)];          // row r = y_r
        var gall = scratch.Slice(n * d, l * n);
        double st = Math.Sqrt(Theta);
        // y_r = xi g_r + sqrt(theta) s_r v: draw n*d + n normals (the n spike coefficients into gall's first n slots).
        rng.FillGaussian(y);
        TensorPrimitives.Multiply(y, Xi, y);
        rng.FillGaussian(gall[..n]);
        for (int r = 0; r < n; r++)
        {
            var yr = y.Slice(r * d, d);
            TensorPrimitives.MultiplyAdd(_v, st * gall[r], yr, yr);
        }
        rng.FillGaussian(gall);
        for (int t = 0; t < l; t++)
        {
            var g = gall.Slice(t * n, n);
            var row = x.Slice(t * d, d);
            row.Clear();
            for (int r = 0; r < n; r++) TensorPrimitives.MultiplyAdd(y.Slice(r * d, d), g[r], row, row);
        }
    }
}

/// <summary>Prompts of L tokens drawn uniformly with replacement from the rows of a data matrix.</summary>
public sealed class DatasetPromptSource : IPromptSource
{
    private readonly Matrix _data;
    /// <inheritdoc/>
    public int Dimension => _data.Cols;
    /// <summary>Draws tokens from the rows of <paramref name="data"/> (at least two rows, finite; kept by
    /// reference, not copied).</summary>
    public DatasetPromptSource(Matrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows < 2) throw new ArgumentException("Dataset needs at least two rows.");
        NumericsException.ThrowIfNotFinite(data, "Dataset");
        _data = data;
    }
    /// <inheritdoc/>
    public int ScratchLength(int l) => 0;
    /// <inheritdoc/>
    public void Sample(Rng rng, int l, Span<double> x, Span<double> scratch)
    {
        int d = Dimension;
        for (int t = 0; t < l; t++) _data.RowReadOnly(rng.NextInt(_data.Rows)).CopyTo(x.Slice(t * d, d));
    }
}

/// <summary>Mini-batch loss and gradient of a head over fresh prompts, parallel over fixed chunks of the batch
/// with per-chunk accumulators reduced in chunk order, so results do not depend on thread scheduling.
/// Prompt b of a step is drawn from <c>stepRng.Split(b)</c>.</summary>
public sealed class BatchGradient
{
    private const int Chunks = 8;
    private readonly IPromptSource _source;
    private readonly HeadKind _kind;
    private readonly int _l, _d, _k, _batch;
    private readonly double _lam;
    private readonly HeadWorkspace[] _ws;
    private readonly double[][] _x, _scratch, _grad;
    private readonly double[] _loss;
    private readonly int _chunks;

    /// <summary>Loss and gradient of a rank-<paramref name="k"/> head of kind <paramref name="kind"/> with
    /// score scale <paramref name="lam"/>, over <paramref name="batch"/> prompts of <paramref name="l"/> tokens from
    /// <paramref name="source"/>.</summary>
    public BatchGradient(IPromptSource source, HeadKind kind, int l, int k, double lam, int batch)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (l < 1) throw new ArgumentException($"Prompt length L must be >= 1 (got {l}).");
        if (k < 1) throw new ArgumentException($"Rank k must be >= 1 (got {k}).");
        if (batch < 1) throw new ArgumentException($"Batch size must be >= 1 (got {batch}).");
        if (!(lam > 0) || !double.IsFinite(lam)) throw new ArgumentException($"lam must be positive and finite (got {lam}).");
        _source = source; _kind = kind; _l = l; _d = source.Dimension; _k = k; _lam = lam; _batch = batch;
        _chunks = Math.Min(Chunks, batch);
        _ws = new HeadWorkspace[_chunks]; _x = new double[_chunks][]; _scratch = new double[_chunks][]; _grad = new double[_chunks][];
        _loss = new double[_chunks];
        for (int c = 0; c < _chunks; c++)
        {
            _ws[c] = new HeadWorkspace(l, _d, k);
            _x[c] = new double[l * _d];
            _scratch[c] = new double[Math.Max(1, source.ScratchLength(l))];
            _grad[c] = new double[k * _d];
        }
    }

    /// <summary>Mean loss over the batch; writes the mean gradient (k x d) into <paramref name="grad"/>.</summary>
    public double Compute(ReadOnlySpan<double> m, Span<double> grad, Rng stepRng, bool parallel = true)
    {
        if (m.Length != _k * _d) throw new ArgumentException($"Parameter buffer must have length k*d = {_k * _d}.");
        if (grad.Length != _k * _d) throw new ArgumentException($"Gradient buffer must have length k*d = {_k * _d}.");
        double[] mArr = m.ToArray();
        double inv = 1.0 / _batch;
        if (Whitened && _source is GaussianPromptSource { PrefersWhitened: true } gaussian)
            return ComputeWhitened(gaussian, mArr, grad, stepRng, parallel);
        if (_source is IBlockPromptSource { PrefersBlocks: true } blocks)
            return ComputeBlocked(blocks, mArr, grad, stepRng, parallel);
        void Chunk(int c)
        {
            int lo = (int)((long)_batch * c / _chunks), hi = (int)((long)_batch * (c + 1) / _chunks);
            var g = _grad[c]; Array.Clear(g);
            double loss = 0;
            for (int b = lo; b < hi; b++)
            {
                var rng = stepRng.Split((ulong)b);
                _source.Sample(rng, _l, _x[c], _scratch[c]);
                loss += AttentionHead.LossAndGradient(_kind, _x[c], _l, _d, mArr, _k, _lam, g, inv, _ws[c]);
            }
            _loss[c] = loss;
        }
        EigenKernels.For(_chunks, parallel, Chunk);
        return Reduce(grad);
    }

    /// <summary>Whether a non-diagonal Gaussian source is handled in the coordinates of its normals
    /// (<see cref="ComputeWhitened"/>); true unless set (tests compare it with the blocked sampler).</summary>
    internal bool Whitened { get; init; } = true;

    private Matrix? _factorC, _factorGram;
    private double[]? _rho, _qrho;

    /// <summary>Gaussian prompts X = Z C' without forming X (<see cref="AttentionHead.WhitenedForward"/>): prompt b's
    /// normals Z come from <c>stepRng.Split(b)</c> exactly as in <see cref="GaussianPromptSource.Sample"/>, so the
    /// numbers equal the sampled path's up to rounding. Prompts go in groups (as many as fit the block buffer):
    /// forward in parallel, then Q rho for the whole group in one GEMM (Q = C'C is read once per group, not once per
    /// prompt), then backward in parallel into per-prompt buffers, added in prompt order to the accumulator of each
    /// prompt's chunk, so the result does not depend on scheduling. Per prompt O(L d k) plus the group's share of
    /// the GEMM, instead of the O(L d^2) of drawing X; the z-coordinate gradient is mapped back by one product with
    /// C' per step.</summary>
    private unsafe double ComputeWhitened(GaussianPromptSource source, double[] mArr, Span<double> grad, Rng stepRng,
        bool parallel)
    {
        _factorC ??= source.FactorMatrix();
        _factorGram ??= Blas.Multiply(_factorC, _factorC, transA: true);
        int per = _l * _d, d = _d;
        int group = Math.Clamp(BlockDoubles / per, 1, _batch);
        EnsureBlockBuffers(group, withZ: false);
        _rho ??= new double[group * d];
        _qrho ??= new double[group * d];
        var bz = _blockX!; var pg = _promptGrad!; var pl = _promptLoss!; var pws = _promptWs!;
        var rho = _rho; var qrho = _qrho;
        double[] mt = Blas.Multiply(new Matrix(_k, d, mArr), _factorC).Data; // row j = C' mu_j
        double inv = 1.0 / _batch;
        for (int c = 0; c < _chunks; c++) { Array.Clear(_grad[c]); _loss[c] = 0; }
        for (int first = 0; first < _batch; first += group)
        {
            int count = Math.Min(group, _batch - first);
            int f = first;
            EigenKernels.For(count, parallel, i =>
            {
                var z = bz.AsSpan(i * per, per);
                stepRng.Split((ulong)(f + i)).FillGaussian(z);
                AttentionHead.WhitenedForward(_kind, z, _l, d, mt, _k, _lam, pws[i]);
                AttentionHead.WhitenedResidual(pws[i], d).CopyTo(rho.AsSpan(i * d, d));
            });
            fixed (double* pr = rho, pq = _factorGram.Data, pqr = qrho)
                GemmCore.Run(count, d, d, pr, d, false, pq, d, false, pqr, d, 1.0, 0.0);
            EigenKernels.For(count, parallel, i =>
            {
                Array.Clear(pg[i]);
                pl[i] = AttentionHead.WhitenedBackward(_kind, bz.AsSpan(i * per, per), _l, d, _k, _lam,
                    qrho.AsSpan(i * d, d), pg[i], inv, pws[i]);
            });
            AddInPromptOrder(first, count);
            if (group < _batch) Progress.Report("prompts", first + count, _batch);
        }
        double mean = Reduce(grad);
        Blas.Multiply(new Matrix(_k, d, grad.ToArray()), _factorC, transB: true).Data.CopyTo(grad);
        return mean;
    }

    /// <summary>Adds the per-prompt gradients and losses of prompts first..first+count-1 to their chunks' accumulators,
    /// in prompt order.</summary>
    private void AddInPromptOrder(int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int c = ChunkOf(first + i);
            TensorPrimitives.Add(_grad[c], _promptGrad![i], _grad[c]);
            _loss[c] += _promptLoss![i];
        }
    }

    /// <summary>Sum of the per-chunk gradients and losses in chunk order; the mean loss.</summary>
    private double Reduce(Span<double> grad)
    {
        double inv = 1.0 / _batch;
        grad.Clear();
        double total = 0;
        for (int c = 0; c < _chunks; c++)
        {
            TensorPrimitives.Add(grad, _grad[c], grad);
            total += _loss[c];
        }
        return total * inv;
    }

    /// <summary>Doubles per block buffer (X or Z) of the blocked sampler: 4 Mi doubles (32 MB) unless set
    /// (tests).</summary>
    internal int BlockDoubles { get; init; } = 1 << 22;

    /// <summary>Prompts go through the source in blocks (one GEMM per block of prompts); within a block the prompts'
    /// loss and gradient are computed in parallel into per-prompt buffers, then added in prompt order to the
    /// accumulator of the prompt's chunk, so the result does not depend on thread scheduling.</summary>
    private double ComputeBlocked(IBlockPromptSource source, double[] mArr, Span<double> grad, Rng stepRng,
        bool parallel)
    {
        int per = _l * _d;
        int blockPrompts = Math.Clamp(BlockDoubles / per, 1, _batch);
        EnsureBlockBuffers(blockPrompts, withZ: true);
        var bx = _blockX!; var bz = _blockZ!; var pg = _promptGrad!; var pl = _promptLoss!; var pws = _promptWs!;
        double inv = 1.0 / _batch;
        for (int c = 0; c < _chunks; c++) { Array.Clear(_grad[c]); _loss[c] = 0; }
        for (int first = 0; first < _batch; first += blockPrompts)
        {
            int count = Math.Min(blockPrompts, _batch - first);
            source.SampleBlock(stepRng, first, count, _l, bx, bz);
            void One(int i)
            {
                Array.Clear(pg[i]);
                pl[i] = AttentionHead.LossAndGradient(_kind, bx.AsSpan(i * per, per), _l, _d, mArr, _k, _lam, pg[i],
                    inv, pws[i]);
            }
            EigenKernels.For(count, parallel, One);
            AddInPromptOrder(first, count);
            if (blockPrompts < _batch) Progress.Report("sample prompts", first + count, _batch);
        }
        return Reduce(grad);
    }

    /// <summary>The chunk whose prompt range [batch c / chunks, batch (c + 1) / chunks) holds prompt b.</summary>
    private int ChunkOf(int b)
    {
        int c = (int)((long)b * _chunks / _batch);
        while (c + 1 < _chunks && b >= (int)((long)_batch * (c + 1) / _chunks)) c++;
        while (c > 0 && b < (int)((long)_batch * c / _chunks)) c--;
        return c;
    }

    private double[]? _blockX, _blockZ, _promptLoss;
    private double[][]? _promptGrad;
    private HeadWorkspace[]? _promptWs;

    private void EnsureBlockBuffers(int blockPrompts, bool withZ)
    {
        long size = (long)blockPrompts * _l * _d;
        if (withZ) _blockZ ??= new double[size];
        if (_blockX != null) return;
        _blockX = new double[size];
        _promptLoss = new double[blockPrompts];
        _promptGrad = new double[blockPrompts][];
        _promptWs = new HeadWorkspace[blockPrompts];
        for (int i = 0; i < blockPrompts; i++)
        {
            _promptGrad[i] = new double[_k * _d];
            _promptWs[i] = new HeadWorkspace(_l, _d, _k);
        }
    }

    /// <summary>Optional progress sink: when the source samples in blocks (a non-diagonal Gaussian covariance) and a
    /// batch needs more than one block (L d batch above 4 Mi values, e.g. d = 2000, L = 100, batch 256), each step
    /// reports task "sample prompts" with the prompts done out of the batch after every block, so a slow first step
    /// shows progress.</summary>
    public IProgress<ProgressUpdate>? Progress { get; set; }
}
