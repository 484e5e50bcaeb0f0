using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Comparison of a learned span (rows of a k x d parameter array) with a reference orthonormal basis.</summary>
public static class Subspace
{
    /// <summary>Orthonormal basis (rows, r x d, r = numerical rank) of the span of the k rows of <paramref name="m"/>
    /// by modified Gram-Schmidt with re-orthogonalisation.</summary>
    public static double[][] Orthonormalize(ReadOnlySpan<double> m, int k, int d)
    {
        if (m.Length != k * d) throw new ArgumentException($"Expected k*d = {k * d} parameters, got {m.Length}.");
        var rows = new double[k][];
        for (int j = 0; j < k; j++) rows[j] = m.Slice(j * d, d).ToArray();
        return [.. Orthonormal.Basis(rows, Precision.RankTolerance)];
    }

    /// <summary>Cosines of the principal angles between span(rows of m) and span(reference columns' first k),
    /// descending. <paramref name="reference"/> holds orthonormal vectors (e.g. top-k eigenvectors).</summary>
    public static double[] PrincipalCosines(ReadOnlySpan<double> m, int k, int d, IReadOnlyList<double[]> reference)
    {
        var q = Orthonormalize(m, k, d);
        int r = reference.Count;
        if (q.Length == 0) return new double[Math.Min(k, r)];
        var c = new Matrix(q.Length, r);
        for (int i = 0; i < q.Length; i++)
            for (int j = 0; j < r; j++) c[i, j] = TensorPrimitives.Dot(q[i], reference[j]);
        var gram = Blas.Multiply(c, c, transB: true); // (q x q)
        var ev = SymmetricEigen.Eigenvalues(gram);
        var cos = new double[Math.Min(k, r)];
        for (int i = 0; i < cos.Length && i < ev.Length; i++) cos[i] = Math.Sqrt(Math.Clamp(ev[ev.Length - 1 - i], 0, 1));
        return cos;
    }

    /// <summary>Alignment score sqrt(mean cos^2 of principal angles) = ||P_M P_U||_F / sqrt(k); equals |cos(mu, u_1)|
    /// for k = 1.</summary>
    public static double Alignment(ReadOnlySpan<double> m, int k, int d, IReadOnlyList<double[]> reference)
    {
        var c = PrincipalCosines(m, k, d, reference);
        double s = 0; foreach (var x in c) s += x * x;
        return Math.Sqrt(s / k);
    }

    /// <summary>Projector distance ||P_M - P_U||_F / sqrt(2k) in [0, 1] (k = rank of both).</summary>
    public static double ProjectorDistance(ReadOnlySpan<double> m, int k, int d, IReadOnlyList<double[]> reference)
    {
        var c = PrincipalCosines(m, k, d, reference);
        double s = 0; foreach (var x in c) s += 1 - x * x;
        return Math.Sqrt(Math.Max(0, s) / k);
    }
}
