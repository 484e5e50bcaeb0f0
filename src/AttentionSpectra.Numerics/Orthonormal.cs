using System.Numerics.Tensors;

namespace AttentionSpectra.Numerics;

/// <summary>The one orthonormalisation routine of the library: modified Gram–Schmidt applied twice ("twice is
/// enough": the second pass removes what rounding left of the first), dropping numerically dependent vectors.
/// Block Lanczos keeps its own in-place CGS2 step over its Krylov basis.</summary>
public static class Orthonormal
{
    /// <summary>Orthonormal basis of the span of <paramref name="vectors"/>, built in input order. A vector is
    /// dropped when its norm after projection is zero or at most <paramref name="relativeTolerance"/> times the
    /// largest input norm. The inputs are not modified; the basis vectors are new arrays.</summary>
    /// <param name="vectors">Vectors of one common length.</param>
    /// <param name="relativeTolerance">Relative drop tolerance (default <see cref="Precision.RankTolerance"/>).</param>
    /// <returns>r orthonormal vectors, r &lt;= the number of inputs (r is the numerical rank).</returns>
    public static List<double[]> Basis(IReadOnlyList<double[]> vectors,
                                       double relativeTolerance = Precision.RankTolerance)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (!(relativeTolerance >= 0) || !double.IsFinite(relativeTolerance))
            throw new ArgumentOutOfRangeException(nameof(relativeTolerance), "must be finite and non-negative.");
        double scale = 0;
        int length = vectors.Count > 0 ? vectors[0].Length : 0;
        foreach (var v in vectors)
        {
            if (v.Length != length) throw new ArgumentException("All vectors must have the same length.", nameof(vectors));
            scale = Math.Max(scale, TensorPrimitives.Norm<double>(v));
        }
        var basis = new List<double[]>();
        foreach (var input in vectors)
        {
            var v = (double[])input.Clone();
            for (int pass = 0; pass < 2; pass++)
                foreach (var q in basis) TensorPrimitives.MultiplyAdd(q, -TensorPrimitives.Dot<double>(q, v), v, v);
            double n = TensorPrimitives.Norm<double>(v);
            if (n > relativeTolerance * scale && n > 0)
            {
                TensorPrimitives.Divide(v, n, v);
                basis.Add(v);
            }
        }
        return basis;
    }

    /// <summary>Orthonormal basis of the column space of <paramref name="a"/> as the columns of a new
    /// <c>a.Rows x r</c> matrix (r = numerical rank, possibly 0); see <see cref="Basis"/>.</summary>
    public static Matrix Columns(Matrix a, double relativeTolerance = Precision.RankTolerance)
    {
        ArgumentNullException.ThrowIfNull(a);
        var cols = new double[a.Cols][];
        for (int j = 0; j < a.Cols; j++) cols[j] = a.Column(j);
        var basis = Basis(cols, relativeTolerance);
        var r = new Matrix(a.Rows, basis.Count);
        for (int j = 0; j < basis.Count; j++) r.SetColumn(j, basis[j]);
        return r;
    }
}
