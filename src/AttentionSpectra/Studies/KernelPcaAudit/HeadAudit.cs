using AttentionSpectra.Numerics;
using System.Numerics.Tensors;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>J_proj = (1/N) sum_i (|phi(q_i)|^2 - |h_i|^2) with its two terms; log10 forms avoid overflow.</summary>
public sealed record JProjTerms(double Log10PhiTerm, double Log10HTerm, double JProj)
{
    /// <summary>log10(mean |phi(q)|^2 / mean |h|^2): ~3 in trained models per the published finding.</summary>
    public double Log10Ratio => Log10PhiTerm - Log10HTerm;
}

/// <summary>Gamma-consistency: for a set of candidate eigenvectors a (columns), how far K_c a is from N gamma a.
/// Residual = |K_c a - (a'K_c a / a'a) a| / |K_c a| (0 for an exact eigenvector, near 1 for an unrelated vector);
/// Spread = median_i |r_i - median r| / |median r| of the element-wise ratios r_i = (K_c a)_i / (N a_i).
/// Both are averaged over the columns.</summary>
public sealed record GammaConsistency(double Residual, double Spread);

/// <summary>Permutation null of the four similarity metrics: their means over random shuffles of V's rows (keeps
/// V's marginal statistics, destroys the token correspondence with V_KPCA).</summary>
public sealed record NullBaseline(int Permutations, double MeanCosine, double OptimalCosine, double LinearCka, double RbfCka);

/// <summary>All audit numbers for one head.</summary>
public sealed record HeadMetrics(
    int Layer, int Head, string Input, int Tokens, int HeadDim,
    double MeanCosine, double OptimalCosine, double LinearCka, double RbfCka,
    JProjTerms JProj,
    GammaConsistency GammaTrue, GammaConsistency GammaLearned, GammaConsistency GammaControl,
    double[] GramTopEigenvalues, double? ModelAttentionError, NullBaseline? Null);

/// <param name="ControlNoise">Relative size of the perturbation of A in the gamma-consistency control.</param>
/// <param name="AlignSigns">Align V_KPCA's column signs to V before the cosine metrics.</param>
/// <param name="NullPermutations">Row permutations of V for the permutation null (0 = none).</param>
public sealed record AuditOptions(double ControlNoise = 0.5, bool AlignSigns = true, int NullPermutations = 8);

/// <summary>Per-head kernel-PCA audit (THEORY.md C).</summary>
public static class HeadAudit
{
    /// <summary>Audit one head. <paramref name="rng"/> drives the random control of the gamma check only.</summary>
    public static HeadMetrics Audit(CapturedHead head, Rng rng, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        options ??= new AuditOptions();
        if (options.NullPermutations < 0) throw new ArgumentException("Number of null permutations must be >= 0.");
        if (!(options.ControlNoise > 0) || !double.IsFinite(options.ControlNoise)) throw new ArgumentException("Control noise must be a positive number.");
        var (q, k, v) = (head.Q, head.K, head.V);
        KernelPca.CheckHead(q, k, $"layer {head.Layer} head {head.Head}");
        if (v.Rows != q.Rows) throw new ArgumentException($"layer {head.Layer} head {head.Head}: V has {v.Rows} rows but there are {q.Rows} tokens.");
        if (!v.AllFinite()) throw new ArgumentException($"layer {head.Layer} head {head.Head}: V contains NaN or infinity.");
        int n = q.Rows, dv = v.Cols;
        int comps = Math.Min(dv, n - 1);
        if (comps < 1) throw new ArgumentException($"layer {head.Layer} head {head.Head}: need at least 2 tokens.");
        var kp = KernelPca.Compute(q, k, comps);
        var vk = kp.VKpca;
        // V_KPCA has fewer columns than V only when N - 1 < Dv; pad with zero columns then.
        if (comps < dv) { var p = new Matrix(n, dv); for (int i = 0; i < n; i++) for (int d = 0; d < comps; d++) p[i, d] = vk[i, d]; vk = p; }
        var vkAligned = options.AlignSigns ? AlignSigns(vk, v) : vk;

        double meanCos = Similarity.MeanRowCosine(vkAligned, v);
        double optCos = Similarity.OptimalCosine(vkAligned, v);
        double lin = Similarity.LinearCka(vk, v);
        double rbf = Similarity.RbfCka(vk, v);
        var j = JProj(q, k, v);

        // gamma consistency: true eigenvectors, eigenvectors implied by the learned V (A = H diag(g) V), random control
        var aTrue = kp.A;
        var aLearned = new Matrix(n, dv);
        for (int i = 0; i < n; i++)
        {
            double g = Math.Exp(kp.LogGKeys[i]);
            for (int d = 0; d < dv; d++) aLearned[i, d] = g * v[i, d];
        }
        aLearned = Orthonormalise(Similarity.CentreColumns(aLearned));
        var aCtrl = aTrue.Clone();
        var noise = Samplers.Gaussian(rng.Split(0), n, comps);
        TensorPrimitives.Multiply(noise.Data, options.ControlNoise / Math.Sqrt(n), noise.Data);
        TensorPrimitives.Add(aCtrl.Data, noise.Data, aCtrl.Data);
        aCtrl = Orthonormalise(aCtrl);

        // Gram eigen-statistics on per-token standardised queries/keys
        var ks = KernelPca.StandardiseRows(k);
        var kcStd = KernelPca.CentredGram(ks, out _);
        var top = SymmetricEigen.TopK(kcStd, Math.Min(q.Cols, n)).Values.Select(Math.Abs).OrderByDescending(x => x).ToArray();

        NullBaseline? nb = null;
        if (options.NullPermutations > 0)
        {
            var pr = rng.Split(1);
            double mc = 0, oc = 0, lc = 0, rc = 0;
            var perm = new int[n];
            var vp = new Matrix(n, dv);
            for (int t = 0; t < options.NullPermutations; t++)
            {
                for (int i = 0; i < n; i++) perm[i] = i;
                for (int i = n - 1; i > 0; i--) { int r = pr.NextInt(i + 1); (perm[i], perm[r]) = (perm[r], perm[i]); }
                for (int i = 0; i < n; i++) v.RowReadOnly(perm[i]).CopyTo(vp.Row(i));
                var va = options.AlignSigns ? AlignSigns(vk, vp) : vk;
                mc += Similarity.MeanRowCosine(va, vp); oc += Similarity.OptimalCosine(va, vp);
                lc += Similarity.LinearCka(vk, vp); rc += Similarity.RbfCka(vk, vp);
            }
            int np = options.NullPermutations;
            nb = new NullBaseline(np, mc / np, oc / np, lc / np, rc / np);
        }
        return new HeadMetrics(head.Layer, head.Head, head.Input, n, q.Cols, meanCos, optCos, lin, rbf, j,
            Gamma(kp.Kc, aTrue), Gamma(kp.Kc, aLearned), Gamma(kp.Kc, aCtrl), top, head.ModelAttentionError, nb);
    }

    /// <summary>Flip each column of <paramref name="vk"/> so that it has a non-negative inner product with the same
    /// column of <paramref name="v"/> (eigenvector signs are arbitrary; cosine metrics are not sign invariant).</summary>
    public static Matrix AlignSigns(Matrix vk, Matrix v)
    {
        var r = vk.Clone();
        for (int d = 0; d < r.Cols; d++)
        {
            double dot = 0;
            for (int i = 0; i < r.Rows; i++) dot += r[i, d] * v[i, d];
            if (dot < 0) for (int i = 0; i < r.Rows; i++) r[i, d] = -r[i, d];
        }
        return r;
    }

    /// <summary>J_proj terms: |phi(q)|^2 = exp(q.q/sqrt D) / (sum_j exp(q.k_j/sqrt D))^2 (in logs) and |h_i|^2 with
    /// h = softmax(QK'/sqrt D) V.</summary>
    public static JProjTerms JProj(Matrix q, Matrix k, Matrix v)
    {
        KernelPca.CheckHead(q, k);
        int n = q.Rows;
        double sqrtD = Math.Sqrt(q.Cols);
        var lse = KernelPca.RowLogSumExp(KernelPca.Logits(q, k));
        var logPhi = new double[n];
        for (int i = 0; i < n; i++)
        {
            var qi = q.RowReadOnly(i);
            logPhi[i] = TensorPrimitives.Dot(qi, qi) / sqrtD - 2 * lse[i];
        }
        double mx = logPhi.Max(), acc = 0;
        foreach (var l in logPhi) acc += Math.Exp(l - mx);
        double logPhiMean = mx + Math.Log(acc / n);
        var h = Blas.Multiply(KernelPca.AttentionWeights(q, k), v);
        double hMean = TensorPrimitives.SumOfSquares<double>(h.Data) / n;
        double log10H = hMean > 0 ? Math.Log10(hMean) : double.NegativeInfinity;
        double jp = Math.Exp(logPhiMean) - hMean;
        if (!double.IsFinite(jp)) jp = logPhiMean > 0 ? double.PositiveInfinity : jp;
        return new JProjTerms(logPhiMean / Math.Log(10), log10H, jp);
    }

    /// <summary>Gamma-consistency of the columns of <paramref name="a"/> against K_c.</summary>
    public static GammaConsistency Gamma(Matrix kc, Matrix a)
    {
        int n = kc.Rows;
        var col = new double[n];
        double resSum = 0, spreadSum = 0; int cols = 0;
        var ratios = new List<double>(n);
        for (int d = 0; d < a.Cols; d++)
        {
            var x = a.Column(d);
            double xx = TensorPrimitives.Dot<double>(x, x);
            if (xx == 0) continue;
            var y = kc.Multiply(x);
            double yy = Math.Sqrt(TensorPrimitives.Dot<double>(y, y));
            if (yy == 0) continue;
            double rq = TensorPrimitives.Dot<double>(x, y) / xx;
            for (int i = 0; i < n; i++) col[i] = y[i] - rq * x[i];
            resSum += TensorPrimitives.Norm<double>(col) / yy;
            double xmax = TensorPrimitives.MaxMagnitude<double>(x);
            ratios.Clear();
            for (int i = 0; i < n; i++) if (Math.Abs(x[i]) > 1e-6 * Math.Abs(xmax)) ratios.Add(y[i] / (n * x[i]));
            double med = Median(ratios);
            var dev = ratios.Select(r => Math.Abs(r - med)).ToList();
            spreadSum += med == 0 ? double.PositiveInfinity : Median(dev) / Math.Abs(med);
            cols++;
        }
        if (cols == 0) throw new ArgumentException("gamma consistency: no non-degenerate candidate vector.");
        return new GammaConsistency(resSum / cols, spreadSum / cols);
    }

    internal static double Median(List<double> xs)
    {
        if (xs.Count == 0) return 0;
        var s = xs.OrderBy(x => x).ToList();
        int m = s.Count;
        return m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
    }

    /// <summary>Orthonormal columns (<see cref="Orthonormal.Columns"/>, relative tolerance 1e-10); a single zero
    /// column when every column is numerically dependent.</summary>
    internal static Matrix Orthonormalise(Matrix a)
    {
        var q = Orthonormal.Columns(a, relativeTolerance: 1e-10);
        return q.Cols > 0 ? q : new Matrix(a.Rows, 1);
    }
}
