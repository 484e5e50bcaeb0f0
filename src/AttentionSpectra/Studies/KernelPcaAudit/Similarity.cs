using AttentionSpectra.Numerics;
using System.Numerics.Tensors;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Similarity metrics between two representations of the same N tokens (rows): mean row cosine, optimal
/// (Hungarian-matched) cosine, linear CKA and RBF CKA. Invariances: linear and RBF CKA are invariant to an
/// orthogonal transform and to isotropic scaling of either side (RBF via the per-matrix median bandwidth); the
/// cosine metrics are invariant to a positive isotropic scaling only (not to rotations or sign flips).</summary>
public static class Similarity
{
    private static void Check(Matrix x, Matrix y, string metric)
    {
        ArgumentNullException.ThrowIfNull(x); ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Rows) throw new ArgumentException($"{metric}: representations have {x.Rows} and {y.Rows} rows; they must describe the same tokens.");
        if (x.Rows < 2) throw new ArgumentException($"{metric}: need at least 2 rows.");
        if (!x.AllFinite() || !y.AllFinite()) throw new ArgumentException($"{metric}: input contains NaN or infinity.");
    }

    private static void CheckSameShape(Matrix x, Matrix y, string metric)
    {
        Check(x, y, metric);
        if (x.Cols != y.Cols) throw new ArgumentException($"{metric}: row vectors have {x.Cols} and {y.Cols} entries; cosine needs equal dimensions.");
    }

    private static double Cos(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>(1/N) sum_i cos(x_i, y_i); a zero row contributes 0.</summary>
    public static double MeanRowCosine(Matrix x, Matrix y)
    {
        CheckSameShape(x, y, "mean cosine");
        double s = 0;
        for (int i = 0; i < x.Rows; i++) s += Cos(x.RowReadOnly(i), y.RowReadOnly(i));
        return s / x.Rows;
    }

    /// <summary>Rows L2-normalised; the one-to-one token matching pi maximising sum_i cos(x_i, y_pi(i)) (Hungarian);
    /// returns the mean matched cosine.</summary>
    public static double OptimalCosine(Matrix x, Matrix y) => OptimalCosine(x, y, out _);

    /// <summary>Optimal cosine with the matching: <paramref name="matching"/>[i] = row of <paramref name="y"/> matched
    /// to row i of <paramref name="x"/>.</summary>
    public static double OptimalCosine(Matrix x, Matrix y, out int[] matching)
    {
        CheckSameShape(x, y, "optimal cosine");
        int n = x.Rows;
        // cosine matrix = (row-normalised X)(row-normalised Y)' in one GEMM; zero rows give cosine 0
        var cm = Blas.Multiply(NormaliseRows(x), NormaliseRows(y), false, true);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) c[i, j] = cm[i, j];
        matching = Hungarian.Maximize(c);
        double s = 0;
        for (int i = 0; i < n; i++) s += c[i, matching[i]];
        return s / n;
    }

    /// <summary>HSIC-based linear CKA = |Yc' Xc|_F^2 / (|Xc' Xc|_F |Yc' Yc|_F) with column-centred X, Y
    /// (equivalently with Gram matrices and H = I - 11'/N).</summary>
    public static double LinearCka(Matrix x, Matrix y)
    {
        Check(x, y, "linear CKA");
        var xc = CentreColumns(x); var yc = CentreColumns(y);
        double xy = Sq(Blas.Multiply(yc, xc, true, false));
        double xx = Math.Sqrt(Sq(Blas.Multiply(xc, xc, true, false)));
        double yy = Math.Sqrt(Sq(Blas.Multiply(yc, yc, true, false)));
        if (xx == 0 || yy == 0) throw new ArgumentException("linear CKA: a representation is constant across tokens (zero centred Gram matrix).");
        return xy / (xx * yy);
    }

    /// <summary>CKA with Gaussian kernels exp(-|x_i - x_j|^2 / (2 sigma^2)), sigma^2 = median of the non-zero squared
    /// distances of each matrix (computed separately for X and Y).</summary>
    public static double RbfCka(Matrix x, Matrix y)
    {
        Check(x, y, "RBF CKA");
        var kx = RbfGram(x, "RBF CKA (first representation)"); var ky = RbfGram(y, "RBF CKA (second representation)");
        KernelPca.Center(kx); KernelPca.Center(ky);
        double xy = TensorPrimitives.Dot<double>(kx.Data, ky.Data);
        double xx = TensorPrimitives.Norm<double>(kx.Data), yy = TensorPrimitives.Norm<double>(ky.Data);
        if (xx == 0 || yy == 0) throw new ArgumentException("RBF CKA: a centred kernel matrix is zero.");
        return xy / (xx * yy);
    }

    internal static Matrix RbfGram(Matrix x, string what)
    {
        int n = x.Rows;
        var g = Blas.Multiply(x, x, false, true);
        var d2 = new Matrix(n, n);
        var nonzero = new List<double>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = i == j ? 0 : Math.Max(0, g[i, i] + g[j, j] - 2 * g[i, j]);
                d2[i, j] = v;
                if (j > i && v > 0) nonzero.Add(v);
            }
        if (nonzero.Count == 0) throw new ArgumentException($"{what}: all rows are identical (no non-zero distances for the median bandwidth).");
        nonzero.Sort();
        int m = nonzero.Count;
        double med = m % 2 == 1 ? nonzero[m / 2] : 0.5 * (nonzero[m / 2 - 1] + nonzero[m / 2]);
        for (int k = 0; k < d2.Data.Length; k++) d2.Data[k] = Math.Exp(-d2.Data[k] / (2 * med));
        return d2;
    }

    internal static Matrix NormaliseRows(Matrix x)
    {
        var r = x.Clone();
        for (int i = 0; i < r.Rows; i++)
        {
            var row = r.Row(i);
            double nrm = TensorPrimitives.Norm<double>(row);
            if (nrm > 0) TensorPrimitives.Multiply<double>(row, 1 / nrm, row);
        }
        return r;
    }

    internal static Matrix CentreColumns(Matrix x)
    {
        var r = x.Clone();
        for (int j = 0; j < r.Cols; j++)
        {
            double m = 0;
            for (int i = 0; i < r.Rows; i++) m += r[i, j];
            m /= r.Rows;
            for (int i = 0; i < r.Rows; i++) r[i, j] -= m;
        }
        return r;
    }

    private static double Sq(Matrix m) => TensorPrimitives.SumOfSquares<double>(m.Data);
}
