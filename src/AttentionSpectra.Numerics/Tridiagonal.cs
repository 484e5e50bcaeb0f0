using System.Runtime.Intrinsics;
namespace AttentionSpectra.Numerics;

/// <summary>Eigen-solvers for a real symmetric tridiagonal matrix given by its diagonal <c>d</c> (length n) and
/// off-diagonal <c>e</c> (length n-1, e[i] couples i and i+1).
/// Eigenvalues: root-free Pal-Walker-Kahan QL/QR (LAPACK dsterf), O(n^2).
/// Eigenvectors: inverse iteration with partial-pivoting LU and re-orthogonalisation inside clusters (LAPACK dstein),
/// O(n) per vector plus the cluster Gram-Schmidt.</summary>
internal static class Tridiagonal
{
    private const double Eps = 1.1102230246251565e-16; // unit roundoff 2^-53 (LAPACK dlamch('E'))
    private const double SafeMin = 2.2250738585072014e-308;

    /// <summary>Splits into unreduced blocks: returns block start indices (plus n as sentinel).</summary>
    public static List<int> SplitBlocks(double[] d, double[] e)
    {
        int n = d.Length;
        var starts = new List<int> { 0 };
        for (int i = 0; i < n - 1; i++)
        {
            double t = Math.Abs(e[i]);
            if (t <= Math.Sqrt(Math.Abs(d[i])) * Math.Sqrt(Math.Abs(d[i + 1])) * Eps || t <= SafeMin) starts.Add(i + 1);
        }
        if (n > 0) starts.Add(n);
        return starts;
    }

    /// <summary>All eigenvalues of the tridiagonal block d[b0..b1), e[b0..b1-1), b1 &gt; b0 (copies are modified,
    /// inputs are not), unsorted. Throws on non-convergence.</summary>
    public static double[] BlockEigenvalues(double[] d, double[] e, int b0, int b1)
    {
        int m = b1 - b0;
        var dd = new double[m];
        var ee = new double[m];
        Array.Copy(d, b0, dd, 0, m);
        Array.Copy(e, b0, ee, 0, m - 1);
        Sterf(dd, ee, m);
        return dd;
    }

    /// <summary>Root-free QL/QR (port of LAPACK dsterf). d: diagonal (overwritten with eigenvalues, unsorted),
    /// e: off-diagonal (destroyed). Returns the number of implicit-shift sweeps it took (LAPACK's jtot): with the
    /// Wilkinson-type shift the iteration converges cubically, about two sweeps per eigenvalue.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int Sterf(double[] d, double[] e, int n)
    {
        const double eps2 = Eps * Eps;
        int nmaxit = n * 30, jtot = 0;
        int l1 = 0;
        while (l1 < n)
        {
            int m;
            for (m = l1; m < n - 1; m++)
            {
                // a negligible coupling ends the block
                if (Math.Abs(e[m]) <= Math.Sqrt(Math.Abs(d[m])) * Math.Sqrt(Math.Abs(d[m + 1])) * Eps) break;
            }
            int l = l1, lsv = l, lend = m, lendsv = lend;
            l1 = m + 1;

            // scale the block to avoid over/underflow of the squared off-diagonals
            double anorm = 0;
            for (int i = l; i <= lend; i++) anorm = Math.Max(anorm, Math.Abs(d[i]));
            for (int i = l; i < lend; i++) anorm = Math.Max(anorm, Math.Abs(e[i]));
            if (anorm == 0) continue;
            double scale = 1;
            if (anorm > 1e140 || anorm < 1e-140)
            {
                scale = anorm;
                for (int i = l; i <= lend; i++) d[i] /= scale;
                for (int i = l; i < lend; i++) e[i] /= scale;
            }
            for (int i = l; i < lend; i++) e[i] *= e[i];

            // iterate from the end with the smaller diagonal entry, where the shifts find the small eigenvalues
            // first (relative accuracy on graded matrices): QL deflates at the top, QR at the bottom
            bool qr = Math.Abs(d[lend]) < Math.Abs(d[l]);
            if (qr) { lend = lsv; l = lendsv; }

            // each loop ends when at most one row is left (a 1 x 1 block is its eigenvalue)
            if (!qr)
            {
                while (l < lend)
                {
                    int mm = lend;
                    for (int k = l; k < lend; k++)
                        if (Math.Abs(e[k]) <= eps2 * Math.Abs(d[k] * d[k + 1])) { mm = k; break; }
                    if (mm < lend) e[mm] = 0;
                    if (mm == l) { l++; continue; }
                    if (mm == l + 1)
                    {
                        Lae2(d[l], Math.Sqrt(e[l]), d[l + 1], out double rt1, out double rt2);
                        d[l] = rt1; d[l + 1] = rt2; e[l] = 0;
                        l += 2;
                        continue;
                    }
                    if (jtot == nmaxit) break;
                    jtot++;
                    double p = d[l];
                    double rte = Math.Sqrt(e[l]);
                    double sigma = (d[l + 1] - p) / (2 * rte);
                    double r = Hypot(sigma, 1);
                    sigma = p - rte / (sigma + Math.CopySign(r, sigma));
                    double c = 1, s = 0, gamma = d[mm] - sigma;
                    p = gamma * gamma;
                    for (int i = mm - 1; i >= l; i--)
                    {
                        double bb = e[i];
                        r = p + bb;
                        if (i != mm - 1) e[i + 1] = s * r;
                        double oldc = c;
                        c = p / r; s = bb / r;
                        double oldgam = gamma, alpha = d[i];
                        gamma = c * (alpha - sigma) - s * oldgam;
                        d[i + 1] = oldgam + (alpha - gamma);
                        p = c != 0 ? gamma * gamma / c : oldc * bb;
                    }
                    e[l] = s * p;
                    d[l] = sigma + gamma;
                }
            }
            else
            {
                while (l > lend)
                {
                    int mm = lend;
                    for (int k = l; k > lend; k--)
                        if (Math.Abs(e[k - 1]) <= eps2 * Math.Abs(d[k] * d[k - 1])) { mm = k; break; }
                    if (mm > lend) e[mm - 1] = 0;
                    if (mm == l) { l--; continue; }
                    if (mm == l - 1)
                    {
                        Lae2(d[l], Math.Sqrt(e[l - 1]), d[l - 1], out double rt1, out double rt2);
                        d[l] = rt1; d[l - 1] = rt2; e[l - 1] = 0;
                        l -= 2;
                        continue;
                    }
                    if (jtot == nmaxit) break;
                    jtot++;
                    double p = d[l];
                    double rte = Math.Sqrt(e[l - 1]);
                    double sigma = (d[l - 1] - p) / (2 * rte);
                    double r = Hypot(sigma, 1);
                    sigma = p - rte / (sigma + Math.CopySign(r, sigma));
                    double c = 1, s = 0, gamma = d[mm] - sigma;
                    p = gamma * gamma;
                    for (int i = mm; i < l; i++)
                    {
                        double bb = e[i];
                        r = p + bb;
                        if (i != mm) e[i - 1] = s * r;
                        double oldc = c;
                        c = p / r; s = bb / r;
                        double oldgam = gamma, alpha = d[i + 1];
                        gamma = c * (alpha - sigma) - s * oldgam;
                        d[i] = oldgam + (alpha - gamma);
                        p = c != 0 ? gamma * gamma / c : oldc * bb;
                    }
                    e[l - 1] = s * p;
                    d[l] = sigma + gamma;
                }
            }
            if (scale != 1)
                for (int i = lsv; i <= lendsv; i++) d[i] *= scale;
            if (jtot >= nmaxit)
                throw new NonConvergenceException($"Tridiagonal QL/QR eigenvalue iteration did not converge after {jtot} sweeps (n = {n}).");
        }
        return jtot;
    }

    /// <summary>Eigenvalues of [[a, b], [b, c]], rt1 of larger absolute value (LAPACK dlae2).</summary>
    private static void Lae2(double a, double b, double c, out double rt1, out double rt2)
    {
        double sm = a + c, df = a - c, adf = Math.Abs(df), tb = b + b, ab = Math.Abs(tb);
        double acmx, acmn;
        if (Math.Abs(a) > Math.Abs(c)) { acmx = a; acmn = c; } else { acmx = c; acmn = a; }
        double rt = adf > ab ? adf * Math.Sqrt(1 + (ab / adf) * (ab / adf))
            : adf < ab ? ab * Math.Sqrt(1 + (adf / ab) * (adf / ab)) : ab * Math.Sqrt(2.0);
        if (sm < 0) { rt1 = 0.5 * (sm - rt); rt2 = (acmx / rt1) * acmn - (b / rt1) * b; }
        else if (sm > 0) { rt1 = 0.5 * (sm + rt); rt2 = (acmx / rt1) * acmn - (b / rt1) * b; }
        else { rt1 = 0.5 * rt; rt2 = -0.5 * rt; }
    }

    internal static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }

    /// <summary>All eigenpairs of the unreduced block d[b0..b1) (at least one row) by implicit QL (EISPACK tql2),
    /// each rotation applied as it is made to the TRANSPOSED vector matrix (row r = eigenvector r, so a rotation
    /// touches two contiguous rows). Meant for small blocks: the solvers call it for blocks of at most
    /// <see cref="TridiagonalDivideConquer.LeafSize"/> rows (the leaves of the divide and conquer), where the
    /// O(n^3) cost of the rotations is microseconds on one core. Returns the (unsorted) values;
    /// <paramref name="vt"/> (bn x bn, row-major) holds the eigenvector of value r in row r, in block coordinates.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static double[] QlVectors(double[] d0, double[] e0, int b0, int b1, out double[] vt)
    {
        int n = b1 - b0;
        var d = new double[n];
        var e = new double[n];
        Array.Copy(d0, b0, d, 0, n);
        Array.Copy(e0, b0, e, 0, n - 1); // e[i] couples i, i+1; e[n-1] = 0
        vt = new double[(long)n * n];
        for (int i = 0; i < n; i++) vt[(long)i * n + i] = 1.0;
        var rows = new RowRotations(vt, n);
        QlIterate(d, e, n, ref rows);
        return d;
    }

    /// <summary>The eigenvalues (unsorted) of the unreduced block d[b0..b1) by the implicit QL iteration of
    /// <see cref="QlVectors"/>, and component <paramref name="coordinate"/> (block coordinates) of each eigenvector:
    /// <paramref name="component"/>[r] belongs to value r. The rotations are applied to that one component as they
    /// are made, so the cost is that of the values alone, O(n^2).</summary>
    public static double[] QlValuesAndComponent(double[] d0, double[] e0, int b0, int b1, int coordinate,
        out double[] component)
    {
        int n = b1 - b0;
        var d = new double[n];
        var e = new double[n];
        Array.Copy(d0, b0, d, 0, n);
        Array.Copy(e0, b0, e, 0, n - 1);
        var column = new ComponentRotations(new double[n]);
        column.X[coordinate] = 1.0;
        QlIterate(d, e, n, ref column);
        component = column.X;
        return d;
    }

    /// <summary>Receives the plane rotations of the QL iteration in the order they are made.</summary>
    private interface IQlRotations
    {
        /// <summary>Rotation of rows i and i + 1 of the transposed eigenvector matrix.</summary>
        void Rotation(int i, double c, double s);
    }

    /// <summary>Applies each rotation at once to two whole rows of the transposed eigenvector matrix (n x n).</summary>
    private readonly struct RowRotations(double[] vt, int n) : IQlRotations
    {
        public void Rotation(int i, double c, double s) =>
            Rotate(vt.AsSpan(i * n, n), vt.AsSpan((i + 1) * n, n), c, s);
    }

    /// <summary>Applies each rotation at once to one column of the transposed eigenvector matrix.</summary>
    private readonly struct ComponentRotations(double[] x) : IQlRotations
    {
        public readonly double[] X = x;

        public void Rotation(int i, double c, double s)
        {
            double a = X[i], b = X[i + 1];
            X[i] = c * a - s * b;
            X[i + 1] = s * a + c * b;
        }
    }

    /// <summary>Implicit QL (EISPACK tql2) on d[0..n), e[0..n-1) (e[n-1] = 0): d becomes the eigenvalues; each plane
    /// rotation goes to <paramref name="rotations"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void QlIterate<TRot>(double[] d, double[] e, int n, ref TRot rotations) where TRot : struct, IQlRotations
    {
        double f = 0.0, tst1 = 0.0;
        const double eps = 2.220446049250313e-16;
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            // e[n - 1] = 0 stops the search at the last row at the latest (the sweeps leave it 0)
            int m = l;
            while (Math.Abs(e[m]) > eps * tst1) m++;
            if (m > l)
            {
                int iter = 0;
                do
                {
                    if (++iter > 60) throw new NonConvergenceException($"Tridiagonal QL iteration did not converge (block of size {n}).");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Hypot(p, 1.0);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1.0, c2 = c, c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2; c2 = c; s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        rotations.Rotation(i, c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
    }

    /// <summary>(x, y) := (c x - s y, s x + c y) elementwise.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        int j = 0;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            var vc = System.Runtime.Intrinsics.Vector512.Create(c);
            var vs = System.Runtime.Intrinsics.Vector512.Create(s);
            ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref double ry = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; j + 8 <= x.Length; j += 8)
            {
                var a = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref rx, (nuint)j);
                var b = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref ry, (nuint)j);
                (vc * a - vs * b).StoreUnsafe(ref rx, (nuint)j);
                (vs * a + vc * b).StoreUnsafe(ref ry, (nuint)j);
            }
        }
        for (; j < x.Length; j++)
        {
            double a = x[j], b = y[j];
            x[j] = c * a - s * b;
            y[j] = s * a + c * b;
        }
    }

    /// <summary>One eigenvalue to be turned into a vector: its block, value and output column.</summary>
    internal readonly record struct Target(int Block, double Value, int Column);

    /// <summary>Inverse iteration (dstein) for the requested eigenvalues. <paramref name="targets"/> must be sorted
    /// by block, then by value ascending. Writes unit eigenvectors of T into the given columns of z (n x m row-major),
    /// zero outside their block. Clusters (gap &lt;= 1e-3 |T_block|_1) are re-orthogonalised by modified Gram-Schmidt.
    /// Clusters run in parallel; each vector's start is drawn from a stream determined by its block and value rank.
    /// <paramref name="solves"/>, when given (one entry per target), receives the number of solves each vector took
    /// (none in a one-row block): as in dstein, a solve whose result grew past sqrt(0.1 / block size) counts, and the
    /// iteration stops after the third such solve (two extra ones after the first), or after eight solves.</summary>
    public static void InverseIteration(double[] d, double[] e, List<int> blockStarts, IReadOnlyList<Target> targets, Matrix z,
        int[]? solves = null)
    {
        // group into clusters
        var clusters = new List<(int Start, int Count)>();
        int t0 = 0;
        while (t0 < targets.Count)
        {
            int blk = targets[t0].Block;
            int b0 = blockStarts[blk], b1 = blockStarts[blk + 1];
            double onenrm = BlockOneNorm(d, e, b0, b1);
            double ortol = 1e-3 * onenrm;
            int t1 = t0 + 1;
            while (t1 < targets.Count && targets[t1].Block == blk && Math.Abs(targets[t1].Value - targets[t1 - 1].Value) <= ortol) t1++;
            clusters.Add((t0, t1 - t0));
            t0 = t1;
        }
        // The work estimate only chooses between running the clusters one after the other or in parallel. They write
        // disjoint columns and seed their own start vectors, so the result is the same bit for bit either way
        // (mutation testing: equivalent mutants, see docs/testing.md).
        long work = 0;
        // Stryker disable once all : equivalent (serial or parallel schedule only)
        foreach (var (cs0, cc) in clusters) work += (long)(blockStarts[targets[cs0].Block + 1] - blockStarts[targets[cs0].Block]) * cc * (cc + 8);
        // Stryker disable once all : equivalent (serial or parallel schedule only)
        bool parallel = work > 100_000;
        EigenKernels.For(clusters.Count, parallel, ci =>
        {
            var (start, count) = clusters[ci];
            int blk = targets[start].Block;
            int b0 = blockStarts[blk], b1 = blockStarts[blk + 1], bn = b1 - b0;
            var vecs = new double[count][];
            if (bn == 1)
            {
                z[b0, targets[start].Column] = 1.0; // a one-row block has one eigenvalue, so count = 1
                return;
            }
            double onenrm = BlockOneNorm(d, e, b0, b1);
            var a = new double[bn]; var b = new double[bn]; var c = new double[bn]; var dd = new double[bn];
            var piv = new bool[bn];
            double dtpcrt = Math.Sqrt(0.1 / bn);
            double xjm = 0;
            for (int q = 0; q < count; q++)
            {
                var tg = targets[start + q];
                double xj = tg.Value;
                if (q > 0)
                {
                    double pertol = 10 * Math.Abs(Eps * xj) + 10 * Eps * Eps * onenrm;
                    if (xj - xjm < pertol) xj = xjm + pertol;
                }
                xjm = xj;
                var rng = new Rng(0x5EEDUL ^ ((ulong)blk << 32) ^ (ulong)(start + q));
                var y = new double[bn];
                for (int i = 0; i < bn; i++) y[i] = 2 * rng.NextDouble() - 1;
                double tol = Factor(d, e, b0, bn, xj, a, b, c, dd, piv);
                int nrmchk = 0, jmax = 0, done = 0;
                for (int its = 0; its < 8; its++)
                {
                    double asum = 0;
                    for (int i = 0; i < bn; i++) asum += Math.Abs(y[i]);
                    double scl = bn * onenrm * Math.Max(Eps, Math.Abs(a[bn - 1])) / asum;
                    for (int i = 0; i < bn; i++) y[i] *= scl;
                    Solve(bn, a, b, c, dd, piv, tol, y);
                    done++;
                    for (int p = 0; p < q; p++)
                    {
                        double dot = System.Numerics.Tensors.TensorPrimitives.Dot<double>(y, vecs[p]);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(vecs[p], -dot, y, y);
                    }
                    jmax = System.Numerics.Tensors.TensorPrimitives.IndexOfMaxMagnitude<double>(y);
                    double nrm = Math.Abs(y[jmax]);
                    if (nrm < dtpcrt) continue;
                    if (++nrmchk >= 3) break;
                }
                if (solves != null) solves[start + q] = done;
                double norm = System.Numerics.Tensors.TensorPrimitives.Norm<double>(y);
                if (!(norm > 0) || !double.IsFinite(norm))
                    throw new NonConvergenceException("Inverse iteration produced a degenerate eigenvector.");
                double s = (y[jmax] < 0 ? -1.0 : 1.0) / norm;
                for (int i = 0; i < bn; i++) y[i] *= s;
                vecs[q] = y;
                int col = tg.Column;
                for (int i = 0; i < bn; i++) z[b0 + i, col] = y[i];
            }
        });
    }

    /// <summary>Sum of squared cluster sizes (the inverse-iteration Gram-Schmidt cost driver) for the ascending
    /// eigenvalues <paramref name="sorted"/> of block [b0, b1), with the same clustering rule as
    /// <see cref="InverseIteration"/>.</summary>
    public static double ClusterCost(double[] d, double[] e, int b0, int b1, double[] sorted)
    {
        double ortol = 1e-3 * BlockOneNorm(d, e, b0, b1);
        double cost = 0;
        int start = 0;
        for (int i = 1; i <= sorted.Length; i++)
        {
            if (i == sorted.Length || Math.Abs(sorted[i] - sorted[i - 1]) > ortol)
            {
                double size = i - start;
                cost += size * size;
                start = i;
            }
        }
        return cost;
    }

    private static double BlockOneNorm(double[] d, double[] e, int b0, int b1)
    {
        double nrm = 0;
        for (int i = b0; i < b1; i++)
        {
            double s = Math.Abs(d[i]);
            if (i > b0) s += Math.Abs(e[i - 1]);
            if (i < b1 - 1) s += Math.Abs(e[i]);
            nrm = Math.Max(nrm, s);
        }
        return nrm;
    }

    /// <summary>LU with partial pivoting of T - lambda I (LAPACK dlagtf) for a block of n &gt;= 2 (one-element blocks
    /// need none). Returns the perturbation tolerance. The arrays have at least n entries and b[n-1] = 0 pads the last
    /// row, so the terms that LAPACK guards with k &lt; n - 2 are plain zeros here and need no guard.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static double Factor(double[] d, double[] e, int b0, int n, double lambda, double[] a, double[] b, double[] c, double[] dd, bool[] piv)
    {
        for (int i = 0; i < n; i++) a[i] = d[b0 + i] - lambda;
        for (int i = 0; i < n - 1; i++) { b[i] = e[b0 + i]; c[i] = e[b0 + i]; }
        b[n - 1] = 0;
        double scale1 = Math.Abs(a[0]) + Math.Abs(b[0]);
        for (int k = 0; k < n - 1; k++)
        {
            double scale2 = Math.Abs(c[k]) + Math.Abs(a[k + 1]) + Math.Abs(b[k + 1]);
            // no zero test as in LAPACK: 0 / scale1 is 0, and for scale1 = 0 the quotient is inf (a[k] != 0, as
            // before) or NaN (a[k] = 0), which fails piv2 <= piv1 below and interchanges, as a zero pivot must
            double piv1 = Math.Abs(a[k]) / scale1;
            if (c[k] == 0)
            {
                piv[k] = false; scale1 = scale2;
                dd[k] = 0;
            }
            else
            {
                double piv2 = Math.Abs(c[k]) / scale2;
                if (piv2 <= piv1)
                {
                    piv[k] = false; scale1 = scale2;
                    c[k] /= a[k];
                    a[k + 1] -= c[k] * b[k];
                    dd[k] = 0;
                }
                else
                {
                    piv[k] = true;
                    double mult = a[k] / c[k];
                    a[k] = c[k];
                    double temp = a[k + 1];
                    a[k + 1] = b[k] - mult * temp;
                    dd[k] = b[k + 1];
                    b[k + 1] = -mult * dd[k];
                    b[k] = temp;
                    c[k] = mult;
                }
            }
        }
        double tol = Math.Max(Math.Abs(a[0]), Math.Max(Math.Abs(a[1]), Math.Abs(b[0])));
        for (int k = 2; k < n; k++) tol = Math.Max(tol, Math.Max(Math.Abs(a[k]), Math.Max(Math.Abs(b[k - 1]), Math.Abs(dd[k - 2]))));
        tol *= Eps;
        if (tol == 0) tol = Eps;
        return tol;
    }

    /// <summary>Solves (T - lambda I) x = y in place with the dlagtf factors, perturbing zero/tiny pivots (dlagts, job -1).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Solve(int n, double[] a, double[] b, double[] c, double[] dd, bool[] piv, double tol, double[] y)
    {
        for (int k = 1; k < n; k++)
        {
            if (!piv[k - 1]) y[k] -= c[k - 1] * y[k - 1];
            else { double t = y[k - 1]; y[k - 1] = y[k]; y[k] = t - c[k - 1] * y[k]; }
        }
        const double big = 1.0 / SafeMin;
        for (int k = n - 1; k >= 0; k--)
        {
            double temp = y[k];
            if (k <= n - 2) temp -= b[k] * y[k + 1];
            if (k <= n - 3) temp -= dd[k] * y[k + 2];
            double ak = a[k];
            double pert = ak >= 0 ? tol : -tol;
            while (ak == 0 || (Math.Abs(ak) < 1 && Math.Abs(temp) > Math.Abs(ak) * big) || Math.Abs(ak) < SafeMin)
            {
                ak += pert; pert *= 2;
            }
            y[k] = temp / ak;
        }
    }
}
