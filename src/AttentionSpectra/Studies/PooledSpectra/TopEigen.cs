using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PooledSpectra;

/// <summary>Top eigenpairs of the sample covariance S = C'C/N applied as an operator (never formed):
/// Lanczos with full (twice-applied) Gram–Schmidt reorthogonalisation, Ritz pairs from the small tridiagonal
/// matrix. Used by the simulator because it needs only the top two eigenvalues and the top eigenvector.</summary>
public static class TopEigen
{
    /// <summary>k largest eigenpairs of C'C/N (C is N x d, row-major): values descending, vectors (length d).</summary>
    /// <param name="c">data matrix.</param>
    /// <param name="k">number of pairs (1..d).</param>
    /// <param name="rng">start-vector randomness.</param>
    /// <param name="tolerance">stop when the residual |β s_last| of the top Ritz pair is below tolerance · θ₁ (and
    /// that of pairs 2..k below max(tolerance, 1e-4) · θ₁).</param>
    /// <param name="maxIterations">Krylov dimension cap.</param>
    public static (double[] Values, double[][] Vectors, int Iterations) OfGram(Matrix c, int k, Rng rng, double tolerance = 1e-6, int maxIterations = 300)
    {
        int n = c.Rows, d = c.Cols;
        double invN = 1.0 / n;
        // one pass over C per product: y = Σ_n (c_n·x) c_n / N, each row used twice while it is in L1 cache
        void Op(ReadOnlySpan<double> x, Span<double> y)
        {
            y.Clear();
            for (int i = 0; i < n; i++)
            {
                var row = c.RowReadOnly(i);
                double s = TensorPrimitives.Dot(row, x) * invN;
                if (s != 0) TensorPrimitives.MultiplyAdd(row, s, y, y);
            }
        }
        return Run(Op, d, k, rng, tolerance, maxIterations);
    }

    /// <summary>Lanczos on a general symmetric operator of dimension <paramref name="dim"/>.</summary>
    public static (double[] Values, double[][] Vectors, int Iterations) Run(SymmetricOperator op, int dim, int k, Rng rng, double tolerance = 1e-7, int maxIterations = 300)
    {
        if (k < 1 || k > dim) throw new ArgumentException($"k = {k} must lie in [1, {dim}].");
        int m = Math.Min(maxIterations, dim);
        var q = new List<double[]>(m + 1);
        var alpha = new List<double>();
        var beta = new List<double>();
        var v = rng.UnitVector(dim);
        q.Add(v);
        var w = new double[dim];
        double[]? ritzVals = null;
        Matrix? ritzVecs = null;
        int j = 0;
        while (true)
        {
            op(q[j], w);
            double a = TensorPrimitives.Dot<double>(w, q[j]);
            alpha.Add(a);
            // full reorthogonalisation (two passes)
            for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i <= j; i++)
                {
                    double h = TensorPrimitives.Dot<double>(w, q[i]);
                    TensorPrimitives.MultiplyAdd<double>(q[i], -h, w, w);
                }
            double b = TensorPrimitives.Norm<double>(w);
            j++;
            bool exhausted = b <= 1e-12 * Math.Abs(alpha[0]) || b == 0;
            if (j < k && (exhausted || j == m))
                throw new ArgumentException($"Lanczos: Krylov space exhausted after {j} steps, fewer than k = {k} (start vector deficient).");
            if (j >= k && (j % 2 == 0 || j == m || exhausted))
            {
                var t = new Matrix(j, j);
                for (int i = 0; i < j; i++)
                {
                    t[i, i] = alpha[i];
                    if (i + 1 < j) { t[i, i + 1] = beta[i]; t[i + 1, i] = beta[i]; }
                }
                var e = SymmetricEigen.Decompose(t);
                ritzVals = e.Values; ritzVecs = e.Vectors;
                double theta1 = Math.Max(Math.Abs(ritzVals[j - 1]), 1e-300);
                bool done = true;
                // the leading pair to `tolerance`; further pairs (used for eigenvalues only, error ~ residual²/gap) to
                // max(tolerance, 1e-4)
                for (int r = 0; r < k; r++)
                    if (Math.Abs(b * ritzVecs[j - 1, j - 1 - r]) > (r == 0 ? tolerance : Math.Max(tolerance, 1e-4)) * theta1) { done = false; break; }
                if (done || j == m || exhausted) break;
            }
            beta.Add(b);
            var next = new double[dim];
            TensorPrimitives.Divide<double>(w, b, next);
            q.Add(next);
        }
        int dimK = j;
        var vals = new double[k];
        var vecs = new double[k][];
        for (int r = 0; r < k; r++)
        {
            int col = dimK - 1 - r;
            vals[r] = ritzVals![col];
            var x = new double[dim];
            for (int i = 0; i < dimK; i++) TensorPrimitives.MultiplyAdd<double>(q[i], ritzVecs![i, col], x, x);
            double nx = TensorPrimitives.Norm<double>(x);
            TensorPrimitives.Divide<double>(x, nx, x);
            vecs[r] = x;
        }
        return (vals, vecs, dimK);
    }
}
