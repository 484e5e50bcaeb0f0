using AttentionSpectra.Numerics;
using System.Numerics.Tensors;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Kernel-PCA view of one attention head (docs/theory.md, Study C): k(x,y) = exp(x.y/sqrt(D)), g(x) = sum_j k(x,k_j),
/// K_phi[i,j] = k(k_i,k_j)/(g(k_i) g(k_j)), K_c = H K_phi H, K_c a = N lambda a, V_KPCA = diag(1/g(k)) (A - 1_N A).</summary>
public sealed record KernelPcaResult(Matrix Kc, double[] Eigenvalues, Matrix A, double[] LogGKeys, Matrix VKpca);

/// <summary>Kernel PCA of one head's keys and the values it predicts (see <see cref="KernelPcaResult"/>).</summary>
public static class KernelPca
{
    internal static void CheckHead(Matrix q, Matrix k, string what = "attention head")
    {
        ArgumentNullException.ThrowIfNull(q); ArgumentNullException.ThrowIfNull(k);
        if (q.Rows < 2) throw new ArgumentException($"{what}: need at least 2 tokens, got {q.Rows}.");
        if (q.Cols < 1) throw new ArgumentException($"{what}: head dimension must be positive.");
        if (k.Rows != q.Rows || k.Cols != q.Cols) throw new ArgumentException($"{what}: Q is {q.Rows}x{q.Cols} but K is {k.Rows}x{k.Cols}; both must be N x D.");
        if (!q.AllFinite() || !k.AllFinite()) throw new ArgumentException($"{what}: Q or K contains NaN or infinity.");
    }

    /// <summary>S = X K' / sqrt(D) (N x N logits).</summary>
    internal static Matrix Logits(Matrix x, Matrix k)
    {
        var s = Blas.Multiply(x, k, false, true);
        TensorPrimitives.Multiply(s.Data, 1 / Math.Sqrt(x.Cols), s.Data);
        return s;
    }

    /// <summary>Row-wise log-sum-exp of a matrix.</summary>
    internal static double[] RowLogSumExp(Matrix s)
    {
        var r = new double[s.Rows];
        for (int i = 0; i < s.Rows; i++)
        {
            var row = s.RowReadOnly(i);
            double mx = TensorPrimitives.Max(row), acc = 0;
            for (int j = 0; j < row.Length; j++) acc += Math.Exp(row[j] - mx);
            r[i] = mx + Math.Log(acc);
        }
        return r;
    }

    /// <summary>softmax_j(q_i . k_j / sqrt(D)) (rows sum to one).</summary>
    public static Matrix AttentionWeights(Matrix q, Matrix k)
    {
        CheckHead(q, k);
        var s = Logits(q, k);
        var lse = RowLogSumExp(s);
        for (int i = 0; i < s.Rows; i++)
        {
            var row = s.Row(i);
            for (int j = 0; j < row.Length; j++) row[j] = Math.Exp(row[j] - lse[i]);
        }
        return s;
    }

    /// <summary>Centred normalised Gram matrix K_c of the keys (computed in the log domain; no overflow).</summary>
    public static Matrix CentredGram(Matrix k, out double[] logG) => CentredGram(k, out logG, 0);

    /// <summary>K_c with K_phi[i,j] = k(k_i,k_j) / (g_i g_j + <paramref name="denominatorEpsilon"/>) (the
    /// reproduction study adds 1e-6), computed in the log domain.</summary>
    public static Matrix CentredGram(Matrix k, out double[] logG, double denominatorEpsilon)
    {
        ArgumentNullException.ThrowIfNull(k);
        if (!(denominatorEpsilon >= 0)) throw new ArgumentException("denominatorEpsilon must be >= 0.", nameof(denominatorEpsilon));
        var s = Logits(k, k);
        logG = RowLogSumExp(s);
        int n = k.Rows;
        for (int i = 0; i < n; i++)
        {
            var row = s.Row(i);
            for (int j = 0; j < n; j++)
            {
                double lgg = logG[i] + logG[j];
                row[j] = Math.Exp(row[j] - lgg);
                if (denominatorEpsilon > 0) row[j] /= 1 + denominatorEpsilon * Math.Exp(-lgg);
            }
        }
        Center(s);
        return s;
    }

    /// <summary>In-place double centring H M H of a square matrix.</summary>
    internal static void Center(Matrix m)
    {
        int n = m.Rows;
        var rowMean = new double[n]; var colMean = new double[n];
        double all = 0;
        for (int i = 0; i < n; i++)
        {
            var row = m.RowReadOnly(i);
            rowMean[i] = TensorPrimitives.Sum(row) / n;
            for (int j = 0; j < n; j++) colMean[j] += row[j];
            all += rowMean[i];
        }
        for (int j = 0; j < n; j++) colMean[j] /= n;
        all /= n;
        for (int i = 0; i < n; i++)
        {
            var row = m.Row(i);
            for (int j = 0; j < n; j++) row[j] += all - rowMean[i] - colMean[j];
        }
    }

    /// <summary>Kernel PCA of the keys with <paramref name="components"/> components and the predicted values.
    /// Eigenvector signs are fixed deterministically (largest-magnitude entry positive).</summary>
    public static KernelPcaResult Compute(Matrix q, Matrix k, int components)
    {
        CheckHead(q, k);
        int n = k.Rows;
        if (components < 1 || components > n) throw new ArgumentException($"Number of kernel-PCA components ({components}) must lie in [1, N = {n}].");
        var kc = CentredGram(k, out var logG);
        var eig = SymmetricEigen.TopK(kc, components);
        var a = eig.Vectors;
        for (int d = 0; d < components; d++)
        {
            int arg = 0;
            for (int i = 1; i < n; i++) if (Math.Abs(a[i, d]) > Math.Abs(a[arg, d])) arg = i;
            if (a[arg, d] < 0) for (int i = 0; i < n; i++) a[i, d] = -a[i, d];
        }
        var vk = new Matrix(n, components);
        for (int d = 0; d < components; d++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += a[i, d];
            mean /= n;
            for (int i = 0; i < n; i++) vk[i, d] = (a[i, d] - mean) * Math.Exp(-logG[i]);
        }
        return new KernelPcaResult(kc, eig.Values, a, logG, vk);
    }

    /// <summary>Rows standardised to zero mean and unit variance across features (constant rows are only centred).</summary>
    public static Matrix StandardiseRows(Matrix x) => StandardiseRows(x, 0, 0);

    /// <summary>Rows x_i -> (x_i - mean) / (sd + <paramref name="epsilon"/>) with sd = sqrt(sum (x - mean)^2 /
    /// (D - <paramref name="ddof"/>)); a row with sd + epsilon = 0 is only centred. ddof = 1 and epsilon = 1e-8 is
    /// the reproduction study's (torch.std) form.</summary>
    public static Matrix StandardiseRows(Matrix x, int ddof, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (ddof < 0 || ddof >= x.Cols) throw new ArgumentException($"ddof must lie in [0, D - 1] (D = {x.Cols}).", nameof(ddof));
        if (!(epsilon >= 0)) throw new ArgumentException("epsilon must be >= 0.", nameof(epsilon));
        var r = x.Clone();
        for (int i = 0; i < r.Rows; i++)
        {
            var row = r.Row(i);
            double mean = TensorPrimitives.Sum(row) / row.Length;
            TensorPrimitives.Subtract(row, mean, row);
            double sd = Math.Sqrt(TensorPrimitives.SumOfSquares(row) / (row.Length - ddof)) + epsilon;
            if (sd > 0) TensorPrimitives.Multiply(row, 1 / sd, row);
        }
        return r;
    }
}
