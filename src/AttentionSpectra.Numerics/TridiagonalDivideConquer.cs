using System.Numerics.Tensors;

namespace AttentionSpectra.Numerics;

/// <summary>Cuppen divide-and-conquer for all eigenpairs of an unreduced symmetric tridiagonal block (LAPACK dstedc /
/// dlaed0-3 style): split T = diag(T1, T2) + rho u u', solve the halves recursively, deflate (small z components and
/// nearly equal poles, by Givens rotations), solve the secular equation 1 + rho sum z_j^2 / (d_j - l) = 0 for the
/// remaining roots with a bracketed Newton iteration about the nearer pole, rebuild z by the Gu-Eisenstat (Loewner)
/// formula so the eigenvectors are numerically orthogonal, and merge with one matrix product per level.
/// Eigenvectors are kept TRANSPOSED (row = eigenvector), so permutations and deflation rotations act on contiguous
/// rows and the merge is a level-3 kernel call.</summary>
internal static unsafe class TridiagonalDivideConquer
{
    private const double Eps = 1.1102230246251565e-16;
    internal const int LeafSize = 32;

    /// <summary>Eigenvalues (ascending) and transposed eigenvectors (bn x bn, row r = eigenvector of value r, block
    /// coordinates) of the tridiagonal block d[b0..b1), e[b0..b1-1).</summary>
    public static double[] Solve(double[] d0, double[] e0, int b0, int b1, out double[] vt)
    {
        int n = b1 - b0;
        var d = new double[n];
        var e = new double[n];
        Array.Copy(d0, b0, d, 0, n);
        Array.Copy(e0, b0, e, 0, n - 1);
        return Recurse(d, e, 0, n, out vt, depth: 0);
    }

    private static double[] Recurse(double[] d, double[] e, int lo, int hi, out double[] vt, int depth)
    {
        int n = hi - lo;
        if (n <= LeafSize)
        {
            var vals = Tridiagonal.QlVectors(d, e, lo, hi, out vt);
            SortRows(vals, ref vt, n);
            return vals;
        }
        int m = n / 2;
        int mid = lo + m;
        double rho = e[mid - 1];
        d[mid - 1] -= rho;
        d[mid] -= rho;
        double[] v1 = [], v2 = [], q1 = [], q2 = [];
        // The depth and the size only decide whether the two halves run in parallel. They read and write disjoint
        // ranges of d and e and their own outputs, so the result is the same bit for bit either way (mutation
        // testing: equivalent mutants, see docs/testing.md).
        // Stryker disable once all : equivalent (serial or parallel schedule only)
        bool parallel = depth < 2 && n >= 256;
        // Stryker disable once all : equivalent (the depth only feeds the schedule switch above)
        int next = depth + 1;
        if (parallel)
        {
            Parallel.Invoke(
                () => v1 = Recurse(d, e, lo, mid, out q1, next),
                () => v2 = Recurse(d, e, mid, hi, out q2, next));
        }
        else
        {
            v1 = Recurse(d, e, lo, mid, out q1, next);
            v2 = Recurse(d, e, mid, hi, out q2, next);
        }
        return Merge(v1, q1, v2, q2, rho, m, n, out vt);
    }

    /// <summary>Sorts values ascending and permutes the rows of vt (n x n) accordingly.</summary>
    private static void SortRows(double[] vals, ref double[] vt, int n)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        Array.Sort((double[])vals.Clone(), idx);
        var sorted = new double[n];
        var nv = new double[(long)n * n];
        for (int r = 0; r < n; r++)
        {
            sorted[r] = vals[idx[r]];
            Array.Copy(vt, (long)idx[r] * n, nv, (long)r * n, n);
        }
        Array.Copy(sorted, vals, n);
        vt = nv;
    }

    /// <summary>Eigen-decomposition of diag(D1, D2) + rho z z' with z = (last row of Q1, first row of Q2), mapped back
    /// through blockdiag(Q1, Q2).</summary>
    private static double[] Merge(double[] v1, double[] q1, double[] v2, double[] q2, double rho, int m, int n, out double[] vt)
    {
        int n2 = n - m;
        // rows of the block-diagonal eigenvector matrix (transposed): row r = eigenvector r in the joint coordinates
        var qt = new double[(long)n * n];
        var dd = new double[n];
        var z = new double[n];
        for (int r = 0; r < m; r++)
        {
            Array.Copy(q1, (long)r * m, qt, (long)r * n, m);
            dd[r] = v1[r];
            z[r] = q1[(long)r * m + (m - 1)];
        }
        for (int r = 0; r < n2; r++)
        {
            Array.Copy(q2, (long)r * n2, qt, (long)(m + r) * n + m, n2);
            dd[m + r] = v2[r];
            z[m + r] = q2[(long)r * n2];
        }
        bool flip = RankOneProblem(dd, z, rho, out var ds, out var zs, out var order, out double r2);
        // row index of pole i in qt: order[i]

        var deflated = Deflate(ds, zs, r2, (prev, j, c, s) =>
        {
            // rotate eigenvector rows: x <- c x + s y, y <- c y - s x
            var x = qt.AsSpan(order[prev] * n, n);
            var y = qt.AsSpan(order[j] * n, n);
            for (int k = 0; k < n; k++) { double a = x[k], b = y[k]; x[k] = c * a + s * b; y[k] = c * b - s * a; }
        }, out var nd);
        int K = nd.Count;
        var outVals = new double[n];
        var outRows = new double[(long)n * n];
        int w = 0;
        // deflated pairs pass through unchanged
        for (int i = 0; i < n; i++)
        {
            if (!deflated[i]) continue;
            outVals[w] = ds[i];
            Array.Copy(qt, (long)order[i] * n, outRows, (long)w * n, n);
            w++;
        }
        // with K = 0 (everything deflated) the arrays below are empty and the kernels return at once
        var (dk, zk) = KeptPoles(ds, zs, nd);
        var delta = new double[(long)K * K]; // delta[i, j] = dk[i] - lam[j]
        var lam = SecularRoots(dk, zk, r2, delta, out _);
        // Gu-Eisenstat: z_hat_i^2 = -prod_j (d_i - l_j) / prod_{j != i} (d_i - d_j) (up to the common factor rho)
        var zh = new double[K];
        for (int i = 0; i < K; i++)
        {
            double wi = delta[(long)i * K + i];
            for (int j = 0; j < K; j++)
                if (j != i) wi *= delta[(long)i * K + j] / (dk[i] - dk[j]);
            zh[i] = Math.CopySign(Math.Sqrt(Math.Max(-wi, 0)), zk[i]);
        }
        // eigenvectors of the rank-one problem: column j = z_hat / (d - l_j), normalised; stored V[i, j]
        var vmat = new double[(long)K * K];
        var colNorm = new double[K];
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++)
            {
                double x = zh[i] / delta[(long)i * K + j];
                vmat[(long)i * K + j] = x;
                colNorm[j] += x * x;
            }
        for (int j = 0; j < K; j++) colNorm[j] = 1.0 / Math.Sqrt(colNorm[j]);
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) vmat[(long)i * K + j] *= colNorm[j];
        // gather the non-deflated rows grouped by support (first half only / both / second half only) so the
        // product skips the zero blocks of blockdiag(Q1, Q2): new rows = V' * rows
        var type = new int[K];
        int n1 = 0, n3 = 0;
        for (int i = 0; i < K; i++)
        {
            var row = new ReadOnlySpan<double>(qt, order[nd[i]] * n, n);
            bool left = TensorPrimitives.MaxMagnitude(row[..m]) != 0, right = TensorPrimitives.MaxMagnitude(row[m..]) != 0;
            type[i] = left && !right ? 0 : left && right ? 1 : 2;
            if (type[i] == 0) n1++; else if (type[i] == 1) n3++;
        }
        var perm = Enumerable.Range(0, K).OrderBy(i => type[i]).ToArray(); // stable
        var b = new double[(long)K * n];
        var vp = new double[(long)K * K];
        for (int p = 0; p < K; p++)
        {
            Array.Copy(qt, (long)order[nd[perm[p]]] * n, b, (long)p * n, n);
            Array.Copy(vmat, (long)perm[p] * K, vp, (long)p * K, K);
        }
        fixed (double* pv = vp, pb = b, pc = outRows)
        {
            double* c0 = pc + (long)w * n;
            EigenKernels.AtBParallelRows(K, m, n1 + n3, pv, K, pb, n, c0, n, 1.0);
            EigenKernels.AtBParallelRows(K, n - m, K - n1, pv + (long)n1 * K, K, pb + (long)n1 * n + m, n, c0 + m, n, 1.0);
        }
        for (int j = 0; j < K; j++) outVals[w + j] = lam[j];
        if (flip) for (int i = 0; i < n; i++) outVals[i] = -outVals[i];
        vt = outRows;
        SortRows(outVals, ref vt, n);
        return outVals;
    }

    /// <summary>The rank-one problem of a merge, from the halves' poles <paramref name="dd"/> and coupling vector
    /// <paramref name="z"/> (last components of T1's eigenvectors, then first components of T2's; both in half order,
    /// overwritten): z / sqrt 2 has unit norm, so rho becomes <paramref name="r2"/> = |2 rho|; a negative rho negates
    /// the poles (returns true: the roots are to be negated back); the poles are sorted ascending into
    /// <paramref name="ds"/>, <paramref name="zs"/> with ds[i] = dd[order[i]].</summary>
    private static bool RankOneProblem(double[] dd, double[] z, double rho, out double[] ds, out double[] zs,
        out int[] order, out double r2)
    {
        int n = dd.Length;
        bool flip = rho < 0;
        r2 = Math.Abs(2 * rho);
        for (int i = 0; i < n; i++) { z[i] /= Math.Sqrt(2.0); if (flip) dd[i] = -dd[i]; }
        order = Enumerable.Range(0, n).ToArray();
        Array.Sort((double[])dd.Clone(), order);
        ds = new double[n];
        zs = new double[n];
        for (int i = 0; i < n; i++) { ds[i] = dd[order[i]]; zs[i] = z[order[i]]; }
        return flip;
    }

    /// <summary>The poles and z components that <see cref="Deflate"/> kept, in its order.</summary>
    private static (double[] Dk, double[] Zk) KeptPoles(double[] ds, double[] zs, List<int> kept)
    {
        var dk = new double[kept.Count];
        var zk = new double[kept.Count];
        for (int i = 0; i < kept.Count; i++) { dk[i] = ds[kept[i]]; zk[i] = zs[kept[i]]; }
        return (dk, zk);
    }

    /// <summary>Deflation of the rank-one problem diag(ds) + r2 zs zs' (ds ascending, r2 &gt; 0) with LAPACK dlaed2's
    /// tolerance tol = 8 eps max(max|ds|, r2 max|zs|): components with r2 |z_j| &lt;= tol are deflated as they are; of
    /// two poles closer than the tolerance allows (|t c s| &lt;= tol for their gap t and the rotation's c, s), a Givens
    /// rotation zeroes one z component (reported to <paramref name="rotate"/> as (prev, j, c, s) so that the caller
    /// can rotate its eigenvectors) and that pole is deflated. Returns the deflated flags; <paramref name="kept"/> lists
    /// the other poles in ascending order of their (possibly rotated) values.</summary>
    internal static bool[] Deflate(double[] ds, double[] zs, double r2, Action<int, int, double, double>? rotate,
        out List<int> kept)
    {
        int n = ds.Length;
        double dmax = 0, zmax = 0;
        for (int i = 0; i < n; i++) { dmax = Math.Max(dmax, Math.Abs(ds[i])); zmax = Math.Max(zmax, Math.Abs(zs[i])); }
        double tol = 8 * Eps * Math.Max(dmax, r2 * zmax);
        var deflated = new bool[n];
        int prev = -1;
        for (int j = 0; j < n; j++)
        {
            if (r2 * Math.Abs(zs[j]) <= tol) { deflated[j] = true; continue; }
            if (prev >= 0)
            {
                double s = zs[prev], c = zs[j];
                double tau = Tridiagonal.Hypot(c, s);
                double t = ds[j] - ds[prev];
                c /= tau; s = -s / tau;
                if (Math.Abs(t * c * s) <= tol)
                {
                    zs[j] = tau; zs[prev] = 0;
                    rotate?.Invoke(prev, j, c, s);
                    double tp = ds[prev] * c * c + ds[j] * s * s;
                    ds[j] = ds[prev] * s * s + ds[j] * c * c;
                    ds[prev] = tp;
                    deflated[prev] = true;
                }
            }
            prev = j;
        }
        // the rotations can disturb the ascending order of the non-deflated poles only within tol; re-sort them
        kept = [];
        for (int i = 0; i < n; i++) if (!deflated[i]) kept.Add(i);
        kept.Sort((a, b) => ds[a].CompareTo(ds[b]));
        return deflated;
    }

    /// <summary>All K roots (ascending) of 1 + r2 sum_i zk_i^2 / (dk_i - l) = 0 (dk ascending, r2 &gt; 0, no zk_i = 0),
    /// in parallel blocks of 64; when <paramref name="delta"/> is given it receives dk[i] - l[j] at [i K + j].
    /// <paramref name="evaluations"/> is the total number of evaluations of the secular function over all roots (the
    /// iterations of <see cref="SecularRoot"/>; a test measure of its convergence).</summary>
    internal static double[] SecularRoots(double[] dk, double[] zk, double r2, double[]? delta, out long evaluations)
    {
        int K = dk.Length;
        double zn = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(zk));
        var lam = new double[K];
        long total = 0;
        // Stryker disable once all : equivalent (serial or parallel schedule only; the blocks write disjoint roots)
        bool parallel = K >= 192;
        EigenKernels.For((K + 63) / 64, parallel, blk =>
        {
            var dl = new double[K];
            long count = 0;
            for (int j = blk * 64; j < Math.Min(K, blk * 64 + 64); j++)
            {
                lam[j] = SecularRoot(dk, zk, r2, zn, j, dl, out int evals);
                count += evals;
                if (delta != null) for (int i = 0; i < K; i++) delta[(long)i * K + j] = dl[i];
            }
            Interlocked.Add(ref total, count);
        });
        evaluations = total;
        return lam;
    }

    /// <summary>From this block size on, <see cref="Values"/> splits the block (bench and test knob).</summary>
    internal static int ValuesSplitMinimum { get; set; } = 1024;

    /// <summary>All eigenvalues (unsorted) of the unreduced tridiagonal block d[b0..b1), e[b0..b1-1), on two cores:
    /// T = diag(T1, T2) + rho u u' is split in the middle, each half solved by implicit QL that tracks only the one
    /// eigenvector component the merge needs (the last of T1's vectors, the first of T2's), and the eigenvalues of
    /// diag(D1, D2) + rho z z' follow from deflation and the secular equation, as in the merge of the eigenvector
    /// solver. Blocks below <see cref="ValuesSplitMinimum"/> use the root-free QL of <see cref="Tridiagonal.Sterf"/>.
    /// </summary>
    public static double[] Values(double[] d0, double[] e0, int b0, int b1)
    {
        int n = b1 - b0;
        if (n < Math.Max(2, ValuesSplitMinimum) || Environment.ProcessorCount < 2)
            return Tridiagonal.BlockEigenvalues(d0, e0, b0, b1);
        int m = n / 2;
        var d = new double[n];
        var e = new double[n];
        Array.Copy(d0, b0, d, 0, n);
        Array.Copy(e0, b0, e, 0, n - 1);
        double rho = e[m - 1];
        d[m - 1] -= rho;
        d[m] -= rho;
        double[] v1 = [], v2 = [], z1 = [], z2 = [];
        EigenKernels.For(2, true, half =>
        {
            if (half == 0) v1 = Tridiagonal.QlValuesAndComponent(d, e, 0, m, m - 1, out z1);
            else v2 = Tridiagonal.QlValuesAndComponent(d, e, m, n, 0, out z2);
        });
        bool flip = RankOneProblem([.. v1, .. v2], [.. z1, .. z2], rho, out var ds, out var zs, out _, out double r2);
        var deflated = Deflate(ds, zs, r2, null, out var kept);
        var vals = new double[n];
        int w = 0;
        for (int i = 0; i < n; i++) if (deflated[i]) vals[w++] = ds[i];
        var (dk, zk) = KeptPoles(ds, zs, kept);
        foreach (double l in SecularRoots(dk, zk, r2, null, out _)) vals[w++] = l;
        if (flip) for (int i = 0; i < n; i++) vals[i] = -vals[i];
        return vals;
    }

    /// <summary>f = 1 + rho sum z_i^2 / (dl_i - tau), its derivative, and sum of |terms| (rounding-error scale).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Evaluate(double[] dl, double[] z, double rho, double tau, out double f, out double fp, out double err)
    {
        int K = dl.Length, i = 0;
        double sf = 0, sfp = 0, se = 0;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && K >= 16)
        {
            var vf = System.Runtime.Intrinsics.Vector512<double>.Zero;
            var vfp = vf; var ve = vf;
            var vt = System.Runtime.Intrinsics.Vector512.Create(tau);
            var vr = System.Runtime.Intrinsics.Vector512.Create(rho);
            fixed (double* pd = dl, pz = z)
            {
                for (; i + 8 <= K; i += 8)
                {
                    var zz = System.Runtime.Intrinsics.Vector512.Load(pz + i);
                    var inv = System.Runtime.Intrinsics.Vector512<double>.One / (System.Runtime.Intrinsics.Vector512.Load(pd + i) - vt);
                    var t = vr * zz * zz * inv;
                    vf += t; vfp += t * inv; ve += System.Runtime.Intrinsics.Vector512.Abs(t);
                }
            }
            sf = System.Runtime.Intrinsics.Vector512.Sum(vf); sfp = System.Runtime.Intrinsics.Vector512.Sum(vfp); se = System.Runtime.Intrinsics.Vector512.Sum(ve);
        }
        for (; i < K; i++)
        {
            double inv = 1.0 / (dl[i] - tau);
            double t = rho * z[i] * z[i] * inv;
            sf += t; sfp += t * inv; se += Math.Abs(t);
        }
        f = 1 + sf; fp = sfp; err = se;
    }

    /// <summary>Root j (ascending) of 1 + rho sum_i z_i^2 / (d_i - l) = 0 with d ascending, rho &gt; 0, z_i != 0.
    /// Root j lies in (d_j, d_{j+1}) (the last in (d_{K-1}, d_{K-1} + rho |z|^2)). Works in tau = l - origin with the
    /// origin at the nearer pole so d_i - l = (d_i - origin) - tau keeps full relative accuracy; returns l and fills
    /// dl[i] = d_i - l; <paramref name="evals"/> counts the evaluations of f.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static double SecularRoot(double[] d, double[] z, double rho, double zn, int j, double[] dl, out int evals)
    {
        int K = d.Length;
        double origin, lo, hi;
        if (j < K - 1)
        {
            double h = d[j + 1] - d[j];
            // f at the midpoint decides which pole is nearer to the root
            double fmid = 1;
            double mid = d[j] + 0.5 * h;
            for (int i = 0; i < K; i++) fmid += rho * z[i] * z[i] / (d[i] - mid);
            if (fmid >= 0) { origin = d[j]; lo = 0; hi = 0.5 * h; }
            else { origin = d[j + 1]; lo = -0.5 * h; hi = 0; }
        }
        else { origin = d[K - 1]; lo = 0; hi = rho * zn * zn; }
        for (int i = 0; i < K; i++) dl[i] = d[i] - origin;
        double tau = 0.5 * (lo + hi);
        double tolf = 8 * Eps * Math.Max(1, Math.Sqrt(K) / 4);
        evals = 0;
        for (int it = 0; it < 400; it++)
        {
            Evaluate(dl, z, rho, tau, out double f, out double fp, out double err);
            evals++;
            if (Math.Abs(f) <= tolf * (1 + err)) break;
            if (f > 0) hi = tau; else lo = tau;
            double tn = tau - f / fp;
            if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
            if (hi - lo <= 2 * Eps * Math.Max(Math.Abs(lo), Math.Abs(hi)) || tn == tau) { tau = tn; break; }
            tau = tn;
        }
        for (int i = 0; i < K; i++) dl[i] -= tau;
        return origin + tau;
    }
}
