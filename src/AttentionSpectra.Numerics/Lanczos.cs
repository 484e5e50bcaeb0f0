using System.Numerics.Tensors;

namespace AttentionSpectra.Numerics;

/// <summary>Matrix-vector product y = A x of a symmetric linear operator of dimension n.</summary>
public delegate void SymmetricOperator(ReadOnlySpan<double> x, Span<double> y);

/// <summary>Top-k eigenpairs of large symmetric matrices/operators by block Lanczos with full re-orthogonalisation
/// (classical Gram-Schmidt applied twice) and thick restart.
/// <para>The block size equals k, so an eigenvalue of multiplicity up to k is resolved (a single-vector Krylov space
/// sees only one direction of a repeated eigenvalue). Each step adds the residual block of the k wanted Ritz pairs
/// (in exact arithmetic the same space as the block Lanczos continuation); when the basis reaches its cap it is
/// restarted from the best Ritz vectors. A pair is converged when |A y - theta y| &lt;= tolerance * |A|est with
/// |A|est the largest |Ritz value| seen. Small problems and k close to n fall back to the dense solver.</para></summary>
public static class Lanczos
{
    /// <summary>Below this dimension (or when k is a large fraction of n) the dense eigensolver is used.</summary>
    internal const int DenseThreshold = 128;

    /// <summary>k largest (algebraic) eigenpairs, values descending, vectors as columns of an n x k matrix.
    /// Only the lower triangle of <paramref name="a"/> is referenced by the dense fallback; the iteration uses the
    /// full matrix, which must be symmetric (checked: a clearly asymmetric matrix is rejected).</summary>
    public static EigenDecomposition TopK(Matrix a, int k, Rng? rng = null, double tolerance = 1e-10)
    {
        SymmetricEigen.Validate(a);
        int n = a.Rows;
        CheckArgs(n, k, tolerance);
        if (UseDense(n, k)) return SymmetricEigen.TopK(a, k);
        double asym = a.AsymmetryNorm(), maxAbs = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<double>(a.Data));
        if (asym > 1e-12 * maxAbs * Math.Sqrt(n))
            throw new NumericsException($"Lanczos: the matrix is not symmetric (max |a_ij - a_ji| = {asym:E2}, max |a_ij| = {maxAbs:E2}); " +
                "the iteration uses the full matrix (SymmetricEigen reads only the lower triangle).");
        return Iterate((_, _) => throw new InvalidOperationException(), n, k, rng ?? new Rng(DefaultSeed),
            Uniform(k, tolerance), parallelMatVec: a, k);
    }

    /// <summary>k largest eigenpairs of the operator <paramref name="op"/> of dimension <paramref name="n"/>,
    /// values descending, vectors as columns of an n x k matrix.</summary>
    public static EigenDecomposition TopK(SymmetricOperator op, int n, int k, Rng? rng = null, double tolerance = 1e-10)
    {
        CheckArgs(n, k, tolerance);
        return TopK(op, n, k, Uniform(k, tolerance), rng);
    }

    /// <summary>k largest eigenpairs of the operator <paramref name="op"/> with a tolerance per pair:
    /// pair c (0 = largest) is converged when its residual |A y − θ y| is at most
    /// <paramref name="tolerances"/>[c] · |A|est. A loose tolerance on the lower pairs saves iterations when only
    /// their eigenvalues are needed (the eigenvalue error is of order residual²/gap).</summary>
    /// <param name="op">The symmetric operator y = A x.</param>
    /// <param name="n">Dimension of the operator.</param>
    /// <param name="k">Number of pairs.</param>
    /// <param name="tolerances">k relative residual tolerances in (0, 1), one per pair, largest pair first.</param>
    /// <param name="rng">Start-block randomness (a fixed default seed when null).</param>
    /// <param name="blockSize">Vectors added per step, in [1, k]; 0 means k. Block size k resolves eigenvalues of
    /// multiplicity up to k; block size 1 is the classical single-vector Lanczos (one operator application per
    /// step, the cheapest when the wanted eigenvalues are simple, e.g. the top pairs of a sample covariance; the
    /// Rayleigh–Ritz convergence check then runs every other step).</param>
    /// <exception cref="NonConvergenceException">The residuals did not reach the tolerances within the operator
    /// budget.</exception>
    public static EigenDecomposition TopK(SymmetricOperator op, int n, int k, IReadOnlyList<double> tolerances, Rng? rng = null,
        int blockSize = 0)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(tolerances);
        if (n < 0) throw new NumericsException($"Operator dimension n = {n} must be non-negative.");
        if (tolerances.Count != k)
            throw new NumericsException($"Lanczos: {tolerances.Count} tolerances given for k = {k} pairs.");
        foreach (var t in tolerances) CheckArgs(n, k, t);
        if (blockSize < 0 || blockSize > Math.Max(1, k))
            throw new NumericsException($"Lanczos: block size {blockSize} must lie in [1, k = {k}] (or 0 for k).");
        if (UseDense(n, k))
        {
            var a = new Matrix(n, n);
            var e = new double[n];
            var col = new double[n];
            for (int j = 0; j < n; j++)
            {
                Array.Clear(e); e[j] = 1;
                op(e, col);
                CheckFinite(col);
                a.SetColumn(j, col);
            }
            // symmetrise (the operator is symmetric up to rounding)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) { double s = 0.5 * (a[i, j] + a[j, i]); a[i, j] = s; a[j, i] = s; }
            return SymmetricEigen.TopK(a, k);
        }
        return Iterate(op, n, k, rng ?? new Rng(DefaultSeed), tolerances.ToArray(), parallelMatVec: null,
            blockSize == 0 ? k : blockSize);
    }

    /// <summary>The operator x ↦ scale · C'C x of a data matrix C (rows × cols, row-major), applied in one pass
    /// over C (each row is used twice while it is in cache); C'C is never formed.</summary>
    /// <param name="c">Data matrix; the operator has dimension <c>c.Cols</c>.</param>
    /// <param name="scale">Factor, e.g. 1/rows for the sample second-moment matrix.</param>
    public static SymmetricOperator GramOperator(Matrix c, double scale)
    {
        ArgumentNullException.ThrowIfNull(c);
        int rows = c.Rows;
        return (x, y) =>
        {
            y.Clear();
            for (int i = 0; i < rows; i++)
            {
                var row = c.RowReadOnly(i);
                double s = TensorPrimitives.Dot(row, x) * scale;
                if (s != 0) TensorPrimitives.MultiplyAdd(row, s, y, y);
            }
        };
    }

    private static double[] Uniform(int k, double tolerance)
    {
        var t = new double[k];
        Array.Fill(t, tolerance);
        return t;
    }

    internal const ulong DefaultSeed = 0x1A2C05UL;

    private static void CheckArgs(int n, int k, double tolerance)
    {
        if (k < 0 || k > n) throw new NumericsException($"Lanczos: k = {k} must lie in [0, {n}] for an operator of dimension {n}.");
        if (!(tolerance > 0) || !double.IsFinite(tolerance) || tolerance >= 1)
            throw new NumericsException($"Lanczos: tolerance = {tolerance} must be a finite number in (0, 1).");
    }

    private static bool UseDense(int n, int k) => n <= DenseThreshold || 4 * k >= n;

    private static void CheckFinite(ReadOnlySpan<double> y)
    {
        if (!TensorPrimitives.IsFiniteAll(y))
            throw new NumericsException("Lanczos: the operator returned NaN or infinite values.");
    }

    private static EigenDecomposition Iterate(SymmetricOperator op, int n, int k, Rng rng, double[] tols, Matrix? parallelMatVec,
        int blockSize)
    {
        if (k == 0) return new EigenDecomposition([], new Matrix(n, 0));
        int p = blockSize;                                  // vectors added per step
        int mMax = Math.Min(n, Math.Max(4 * k, k + 100));   // basis cap
        int keep = Math.Min(mMax - p, Math.Max(k + p, (mMax + k) / 2));
        var q = new double[mMax][];
        var aq = new double[mMax][];
        for (int i = 0; i < mMax; i++) { q[i] = new double[n]; aq[i] = new double[n]; }
        var h = new double[mMax * mMax];
        int m = 0;
        double normEst = 0;
        long maxOps = Math.Max(2000L, 40L * n) * Math.Max(1, k) + 10_000;
        long ops = 0;
        var tmpBlock = new double[p][];
        for (int i = 0; i < p; i++) tmpBlock[i] = new double[n];

        int pending = 0; // q[pending..m) still need their images A q
        var xBlock = new double[(long)n * p];
        var yBlock = new double[(long)p * n];

        // images of the pending basis vectors: one blocked pass over the matrix (or one operator call per vector)
        void Flush()
        {
            int b = m - pending;
            if (b <= 0) return;
            if (parallelMatVec is { } a)
            {
                for (int i = 0; i < b; i++)
                {
                    var qi = q[pending + i];
                    for (int r = 0; r < n; r++) xBlock[(long)r * b + i] = qi[r];
                }
                Array.Clear(yBlock, 0, b * n);
                unsafe
                {
                    fixed (double* px = xBlock, pa = a.Data, py = yBlock)
                        EigenKernels.AtBParallelColumns(b, n, n, px, b, pa, n, py, n, 1.0); // rows of (X' A) = (A x_i)'
                }
                for (int i = 0; i < b; i++) Array.Copy(yBlock, (long)i * n, aq[pending + i], 0, n);
            }
            else
            {
                for (int i = pending; i < m; i++) op(q[i], aq[i]);
            }
            for (int j = pending; j < m; j++)
            {
                CheckFinite(aq[j]);
                ops++;
                for (int i = 0; i < m; i++)
                {
                    if (i > j && i >= pending) continue; // filled from the symmetric partner
                    double hij = TensorPrimitives.Dot<double>(q[i], aq[j]);
                    hij = 0.5 * (hij + TensorPrimitives.Dot<double>(q[j], aq[i]));
                    h[i * mMax + j] = hij; h[j * mMax + i] = hij;
                }
            }
            pending = m;
        }

        // Orthonormalises candidate x against q[0..m) (CGS2) and appends it; false when x is (numerically) in the span.
        bool OrthAppend(double[] x)
        {
            double norm0 = TensorPrimitives.Norm<double>(x);
            if (norm0 == 0) return false;
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < m; j++)
                {
                    double c = TensorPrimitives.Dot<double>(q[j], x);
                    TensorPrimitives.MultiplyAdd<double>(q[j], -c, x, x);
                }
            }
            double norm = TensorPrimitives.Norm<double>(x);
            if (norm <= 1e-8 * norm0) return false;
            TensorPrimitives.Multiply<double>(x, 1.0 / norm, q[m]);
            m++;
            return true;
        }

        void AppendRandom()
        {
            for (int attempt = 0; attempt < 10; attempt++)
            {
                var x = tmpBlock[0];
                rng.FillGaussian(x);
                if (OrthAppend(x)) return;
            }
            throw new NumericsException("Lanczos: could not extend the Krylov basis with a random vector.");
        }

        for (int i = 0; i < p && m < n; i++) AppendRandom();
        Flush();

        var theta = new double[k];
        var resid = new double[k];
        while (true)
        {
            // single-vector mode: every other step extends the Krylov space with A q_last directly (the same space
            // the residual of any Ritz pair would give), skipping the Rayleigh-Ritz solve and the Ritz vectors
            if (p == 1 && m % 2 == 1 && m >= k && m + 1 < mMax && m + 1 < n)
            {
                aq[m - 1].CopyTo(tmpBlock[0], 0);
                if (OrthAppend(tmpBlock[0])) { Flush(); continue; }
            }
            // Rayleigh-Ritz on the current basis
            var hm = new Matrix(m, m);
            for (int i = 0; i < m; i++) Array.Copy(h, i * mMax, hm.Data, i * m, m);
            var ritz = SymmetricEigen.Decompose(hm); // ascending
            normEst = Math.Max(normEst, Math.Max(Math.Abs(ritz.Values[0]), Math.Abs(ritz.Values[m - 1])));
            int kk = Math.Min(k, m);
            // wanted Ritz vectors (descending) and their residuals
            var y = new double[kk][];
            var ay = new double[kk][];
            bool allConverged = kk == k;
            for (int c = 0; c < kk; c++)
            {
                int src = m - 1 - c;
                theta[c] = ritz.Values[src];
                y[c] = new double[n]; ay[c] = new double[n];
                for (int j = 0; j < m; j++)
                {
                    double s = ritz.Vectors[j, src];
                    TensorPrimitives.MultiplyAdd<double>(q[j], s, y[c], y[c]);
                    TensorPrimitives.MultiplyAdd<double>(aq[j], s, ay[c], ay[c]);
                }
                var r = tmpBlock[c % p];
                TensorPrimitives.MultiplyAdd<double>(y[c], -theta[c], ay[c], r);
                resid[c] = TensorPrimitives.Norm<double>(r);
                if (resid[c] > tols[c] * normEst) allConverged = false;
            }
            if (allConverged || m == n)
            {
                var vecs = new Matrix(n, k);
                for (int c = 0; c < k; c++) vecs.SetColumn(c, y[c]);
                return new EigenDecomposition(theta[..k].ToArray(), vecs);
            }
            if (ops > maxOps)
                throw new NonConvergenceException($"Lanczos did not converge after {ops} operator applications: largest " +
                    $"Ritz residual {resid.Max():E2} exceeds its tolerance (smallest {tols.Min():E1}) x |A|est {normEst:E3}. " +
                    "Increase the tolerance or use the dense solver.");

            // restart: keep the best Ritz vectors
            if (m + p > mMax)
            {
                int l = Math.Min(keep, m);
                var nq = new double[l][];
                var naq = new double[l][];
                for (int c = 0; c < l; c++)
                {
                    int src = m - 1 - c;
                    nq[c] = new double[n]; naq[c] = new double[n];
                    for (int j = 0; j < m; j++)
                    {
                        double s = ritz.Vectors[j, src];
                        TensorPrimitives.MultiplyAdd<double>(q[j], s, nq[c], nq[c]);
                        TensorPrimitives.MultiplyAdd<double>(aq[j], s, naq[c], naq[c]);
                    }
                }
                Array.Clear(h);
                for (int c = 0; c < l; c++)
                {
                    nq[c].CopyTo(q[c], 0); naq[c].CopyTo(aq[c], 0);
                    h[c * mMax + c] = ritz.Values[m - 1 - c];
                }
                m = l;
                pending = m;
            }

            // expand with the residuals of the unconverged wanted pairs (random vectors on breakdown)
            int added = 0;
            for (int c = 0; c < kk && m < n && m < mMax && added < p; c++)
            {
                if (resid[c] <= tols[c] * normEst) continue;
                var r = tmpBlock[0];
                TensorPrimitives.MultiplyAdd<double>(y[c], -theta[c], ay[c], r);
                if (OrthAppend(r)) added++;
            }
            while (added == 0 || (kk < k && added < p))
            {
                if (m >= n || m >= mMax) break;
                AppendRandom();
                added++;
            }
            Flush();
        }
    }
}
