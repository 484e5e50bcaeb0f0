namespace AttentionSpectra.Numerics;

/// <summary>Eigen-decomposition of a real symmetric matrix: values ascending, vectors in the columns.</summary>
public sealed record EigenDecomposition(double[] Values, Matrix Vectors)
{
    /// <summary>Copy of eigenvector number <paramref name="k"/> (column k of <see cref="Vectors"/>).</summary>
    public double[] Vector(int k) => Vectors.Column(k);
}

/// <summary>Symmetric eigensolver (managed, SIMD, multi-core): blocked Householder tridiagonalisation
/// (<see cref="HouseholderTridiagonal"/>), root-free QL/QR for the eigenvalues, inverse iteration on the tridiagonal
/// for the requested eigenvectors and a compact-WY blocked back-transformation.</summary>
public static class SymmetricEigen
{
    /// <summary>All eigenvalues, ascending. Only the lower triangle of <paramref name="a"/> is read.</summary>
    public static double[] Eigenvalues(Matrix a)
    {
        double scale = CheckedScale(a);
        int n = a.Rows;
        if (n == 0) return [];
        var scaled = scale == 1 ? a : Divide(a, scale);
        var (d, e) = n >= TwoStageMinimum ? TwoStageTridiagonal.Reduce(scaled) : OneStage(scaled);
        var vals = TridiagonalValues(d, e, out _, out _);
        Array.Sort(vals);
        if (scale != 1) for (int i = 0; i < n; i++) vals[i] *= scale;
        return vals;
    }

    /// <summary>From this order on, eigenvalues use the two-stage reduction (dense to band by GEMMs, then bulge
    /// chasing), below it the one-stage Householder reduction.</summary>
    internal static int TwoStageMinimum { get; set; } = 384;

    private static (double[] D, double[] E) OneStage(Matrix a)
    {
        var tri = new HouseholderTridiagonal(a);
        return (tri.D, tri.E);
    }

    /// <summary>All eigenpairs, values ascending, orthonormal eigenvectors as columns. Only the lower triangle is read.</summary>
    public static EigenDecomposition Decompose(Matrix a)
    {
        double scale = CheckedScale(a);
        return Select(a, a.Rows, ascending: true, scale);
    }

    /// <summary>The k largest eigenpairs, values DESCENDING, vectors as the k columns of an n x k matrix.</summary>
    public static EigenDecomposition TopK(Matrix a, int k)
    {
        double scale = CheckedScale(a);
        if (k < 0 || k > a.Rows) throw new NumericsException($"k = {k} must lie in [0, {a.Rows}].");
        return Select(a, k, ascending: false, scale);
    }

    /// <summary>Eigenvalues of every unreduced block (unsorted) with the block index of each value.</summary>
    private static double[] TridiagonalValues(double[] d, double[] e, out List<int> starts, out int[] blockOf)
    {
        int n = d.Length;
        starts = Tridiagonal.SplitBlocks(d, e);
        var vals = new double[n];
        blockOf = new int[n];
        for (int b = 0; b + 1 < starts.Count; b++)
        {
            int b0 = starts[b], b1 = starts[b + 1];
            var bv = TridiagonalDivideConquer.Values(d, e, b0, b1);
            Array.Copy(bv, 0, vals, b0, bv.Length);
            for (int i = b0; i < b1; i++) blockOf[i] = b;
        }
        return vals;
    }

    /// <summary>The <paramref name="k"/> largest (ascending=false, returned descending) or, for k = n with
    /// ascending=true, all eigenpairs returned ascending.
    /// Tridiagonal eigenvectors come from inverse iteration, except for blocks whose eigenvalues are all wanted and
    /// form large clusters (where the cluster Gram-Schmidt of inverse iteration would cost O(n^3) level-1 work):
    /// those use divide and conquer (implicit QL for blocks of at most 32). Small blocks (at most 64) always use
    /// implicit QL, which has the least overhead there.</summary>
    private static EigenDecomposition Select(Matrix a, int k, bool ascending, double scale)
    {
        int n = a.Rows;
        if (k == 0) return new EigenDecomposition([], new Matrix(n, 0));
        var tri = new HouseholderTridiagonal(scale == 1 ? a : Divide(a, scale));
        var vals = TridiagonalValues(tri.D, tri.E, out var starts, out var blockOf);
        int nBlocks = starts.Count - 1;
        var qlVectors = new double[nBlocks][];
        if (k == n)
        {
            for (int b = 0; b < nBlocks; b++)
            {
                int b0 = starts[b], b1 = starts[b + 1], bn = b1 - b0;
                if (bn < 2) continue;
                if (bn > 64)
                {
                    var sorted = vals[b0..b1];
                    Array.Sort(sorted);
                    if (Tridiagonal.ClusterCost(tri.D, tri.E, b0, b1, sorted) <= (double)bn * bn / 32) continue;
                }
                var qv = bn > TridiagonalDivideConquer.LeafSize
                    ? TridiagonalDivideConquer.Solve(tri.D, tri.E, b0, b1, out var vt)
                    : Tridiagonal.QlVectors(tri.D, tri.E, b0, b1, out vt);
                Array.Copy(qv, 0, vals, b0, bn);
                qlVectors[b] = vt;
            }
        }
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(vals.ToArray(), order);
        // chosen indices (into vals) with output column c
        var chosen = new int[k];
        for (int c = 0; c < k; c++) chosen[c] = ascending ? order[n - k + c] : order[n - 1 - c];
        var outVals = new double[k];
        for (int c = 0; c < k; c++) outVals[c] = vals[chosen[c]];
        var z = new Matrix(n, k);
        // targets for inverse iteration, sorted by block, then value ascending
        var targets = new List<Tridiagonal.Target>(k);
        for (int c = 0; c < k; c++)
        {
            int idx = chosen[c], b = blockOf[idx];
            if (qlVectors[b] is { } vt)
            {
                int b0 = starts[b], bn = starts[b + 1] - b0, r = idx - b0;
                for (int i = 0; i < bn; i++) z[b0 + i, c] = vt[(long)r * bn + i];
            }
            else targets.Add(new Tridiagonal.Target(b, vals[idx], c));
        }
        targets.Sort((x, y) => x.Block != y.Block ? x.Block.CompareTo(y.Block) : x.Value != y.Value ? x.Value.CompareTo(y.Value) : x.Column.CompareTo(y.Column));
        if (targets.Count > 0) Tridiagonal.InverseIteration(tri.D, tri.E, starts, targets, z);
        tri.BackTransform(z);
        if (scale != 1) for (int c = 0; c < k; c++) outVals[c] *= scale;
        return new EigenDecomposition(outVals, z);
    }

    /// <summary>Like LAPACK dsyev: matrices whose largest entry is outside [1e-140, 1e140] are scaled to unit
    /// max-norm first so that squares and norms inside the reduction can neither overflow nor underflow.</summary>
    private static Matrix Divide(Matrix a, double scale)
    {
        var m = new Matrix(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Divide<double>(a.Data, scale, m.Data);
        return m;
    }

    /// <summary>Checks the input (non-null, square, every entry finite) and returns the factor it is divided by first
    /// (like LAPACK dsyev: 1 unless the largest lower-triangle entry lies outside [1e-140, 1e140]). The finiteness
    /// check and the maximum run together, row chunk by row chunk, on all cores.</summary>
    private static double CheckedScale(Matrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        NumericsException.ThrowIfNotSquare(a, InputName);
        int n = a.Rows;
        const int chunks = 8;
        var finite = new bool[chunks];
        var max = new double[chunks];
        EigenKernels.For(chunks, (long)n * n >= 1 << 18, c =>
        {
            int r0 = (int)((long)n * c / chunks), r1 = (int)((long)n * (c + 1) / chunks);
            finite[c] = Matrix.AllFinite(new ReadOnlySpan<double>(a.Data, r0 * n, (r1 - r0) * n));
            double mx = 0;
            for (int i = r0; i < r1; i++)
                mx = Math.Max(mx, Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<double>(
                    new ReadOnlySpan<double>(a.Data, i * n, i + 1))));
            max[c] = mx;
        });
        if (Array.IndexOf(finite, false) >= 0) NumericsException.ThrowIfNotFinite(a, InputName);
        double top = max.Max();
        return top == 0 || (top > 1e-140 && top < 1e140) ? 1.0 : top;
    }

    private const string InputName = "Symmetric eigenproblem input";

    internal static void Validate(Matrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        NumericsException.ThrowIfNotSquare(a, InputName);
        NumericsException.ThrowIfNotFinite(a, InputName);
    }
}
