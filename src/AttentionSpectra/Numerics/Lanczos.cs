namespace AttentionSpectra.Numerics;

/// <summary>Matrix-vector product y = A x of a symmetric linear operator of dimension n.</summary>
public delegate void SymmetricOperator(ReadOnlySpan<double> x, Span<double> y);

/// <summary>Top-k eigenpairs of large symmetric matrices/operators. (Interim: dense fallback; the Lanczos
/// implementation with full reorthogonalisation keeps these signatures.)</summary>
public static class Lanczos
{
    /// <summary>k largest (algebraic) eigenpairs, values descending, vectors as columns of an n x k matrix.</summary>
    public static EigenDecomposition TopK(Matrix a, int k, Rng? rng = null, double tolerance = 1e-10)
    {
        SymmetricEigen.Validate(a);
        return SymmetricEigen.TopK(a, k);
    }

    /// <summary>k largest eigenpairs of the operator <paramref name="op"/> of dimension <paramref name="n"/>.</summary>
    public static EigenDecomposition TopK(SymmetricOperator op, int n, int k, Rng? rng = null, double tolerance = 1e-10)
    {
        var a = new Matrix(n, n);
        var e = new double[n];
        var col = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(e); e[j] = 1;
            op(e, col);
            a.SetColumn(j, col);
        }
        return SymmetricEigen.TopK(a, k);
    }
}
