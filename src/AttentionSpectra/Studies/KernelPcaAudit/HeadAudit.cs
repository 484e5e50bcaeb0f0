using AttentionSpectra.Numerics;
using System.Numerics.Tensors;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>How the arbitrary signs of V_KPCA's columns (eigenvector signs) are handled before the two cosine
/// metrics. Linear and RBF CKA do not depend on the choice.</summary>
public enum CosineSigns
{
    /// <summary>The eigensolver's own signs, unrelated to V (ours: largest-magnitude entry positive; the
    /// reproduction study: LAPACK's). The published convention; its expected mean cosine is 0.</summary>
    Raw,
    /// <summary>Each column flipped to a non-negative inner product with the same column of V (best case).</summary>
    Aligned,
    /// <summary>Average over column-sign patterns: all 2^D patterns when 2^D does not exceed
    /// <see cref="AuditOptions.SignDraws"/>, otherwise that many seeded random patterns. The expectation of the
    /// mean cosine under random signs is exactly 0 (it is linear in each sign).</summary>
    RandomAverage,
}

/// <summary>How each key vector is standardised across its D features before the Gram eigen-statistics.</summary>
public enum KeyStandardisation
{
    /// <summary>(k - mean) / (sample std with ddof = 1 + 1e-8), and K_phi = K / (g g' + 1e-6): the reproduction
    /// study's eigenvalues.py (torch.std default). The published convention.</summary>
    SampleStd,
    /// <summary>(k - mean) / population std (ddof = 0); constant rows are only centred; K_phi = K / (g g').</summary>
    PopulationStd,
}

/// <summary>How per-head Gram eigenvalues are aggregated into the model's max/min/mean/median.</summary>
public enum GramAggregation
{
    /// <summary>Per input: average each rank over layers and heads, then max/min/mean/median over the ranks (median
    /// = lower middle value, as torch.median); finally the mean over inputs. The published convention.</summary>
    PerRankFirst,
    /// <summary>Max/min/mean/median over every single head's eigenvalues (all ranks, heads, layers, inputs).</summary>
    PerHead,
}

/// <summary>J_proj = (1/N) sum_i (|phi(q_i)|^2 - |h_i|^2) with its two terms; log10 forms avoid overflow.</summary>
/// <param name="Log10PhiTerm">log10 of mean_i |phi(q_i)|^2.</param>
/// <param name="Log10HTerm">log10 of mean_i |h_i|^2.</param>
/// <param name="JProj">The signed difference mean_i |phi(q_i)|^2 - mean_i |h_i|^2.</param>
/// <param name="MeanAbsDifference">mean_i | |phi(q_i)|^2 - |h_i|^2 |: the reproduction study's error statistic
/// (Reconstruction/softmax.py, <c>abs_error.mean()</c>); +infinity when a phi-term overflows.</param>
public sealed record JProjTerms(double Log10PhiTerm, double Log10HTerm, double JProj, double MeanAbsDifference)
{
    /// <summary>log10(mean |phi(q)|^2 / mean |h|^2). Negative when |h|^2 dominates: the reproduction study's own
    /// logged training curves give about -2.6 (DeiT-tiny, ViT-tiny), i.e. |h|^2 much larger than |phi|^2, and so
    /// does this audit on the OCR recogniser.</summary>
    public double Log10Ratio => Log10PhiTerm - Log10HTerm;
}

/// <summary>Gamma-consistency: for a set of candidate eigenvectors a (columns), how far K_c a is from N gamma a.
/// Residual = |K_c a - (a'K_c a / a'a) a| / |K_c a| (0 for an exact eigenvector, near 1 for an unrelated vector);
/// Spread = median_i |r_i - median r| / |median r| of the element-wise ratios r_i = (K_c a)_i / (N a_i).
/// Both are averaged over the columns.</summary>
public sealed record GammaConsistency(double Residual, double Spread);

/// <summary>The reproduction study's gamma statistic (gammas.py): gamma = (K_c a) / (N a) element-wise, then the
/// mean over pairs i &lt; j of |gamma_i - gamma_j|, averaged over the D columns.</summary>
/// <param name="True">For the true eigenvectors (0 up to rounding divided by small entries).</param>
/// <param name="Control">For the published control: A plus 0.1 absolute Gaussian noise, re-orthonormalised (QR).</param>
public sealed record GammaPairwise(double True, double Control);

/// <summary>Permutation null of the four similarity metrics: their means over random shuffles of V's rows (keeps
/// V's marginal statistics, destroys the token correspondence with V_KPCA).</summary>
public sealed record NullBaseline(int Permutations, double MeanCosine, double OptimalCosine, double LinearCka,
    double RbfCka)
{
    /// <summary>Per metric, how many permutations scored strictly below the observed value (0..Permutations);
    /// uniform on 0..Permutations under the null hypothesis when there are no ties.</summary>
    public NullRanks Ranks { get; init; } = new(0, 0, 0, 0);
}

/// <summary>Counts of permutations scoring strictly below the observed metric (see <see cref="NullBaseline"/>).</summary>
public sealed record NullRanks(int MeanCosine, int OptimalCosine, int LinearCka, int RbfCka);

/// <summary>All audit numbers for one head on one input.</summary>
/// <param name="Layer">0-based attention block.</param>
/// <param name="Head">0-based head inside the block.</param>
/// <param name="Input">Input label.</param>
/// <param name="Tokens">N.</param>
/// <param name="HeadDim">D (query/key dimension).</param>
/// <param name="MeanCosine">Mean row cosine of V_KPCA and V under <see cref="CosineSigns"/>.</param>
/// <param name="OptimalCosine">Hungarian-matched mean cosine under <see cref="CosineSigns"/>.</param>
/// <param name="LinearCka">Linear CKA of V_KPCA and V (sign independent).</param>
/// <param name="RbfCka">RBF CKA (median bandwidth per matrix).</param>
/// <param name="JProj">J_proj terms.</param>
/// <param name="GammaTrue">Gamma-consistency of the true eigenvectors.</param>
/// <param name="GammaLearned">Gamma-consistency of the eigenvectors implied by the learned V.</param>
/// <param name="GammaControl">Gamma-consistency of the perturbed-eigenvector control.</param>
/// <param name="GramTopEigenvalues">Top-D |eigenvalues| of K_c of the standardised keys, descending.</param>
/// <param name="ModelAttentionError">Max deviation from the model's own softmax, when the loader checked it.</param>
/// <param name="Null">Permutation null, or null when switched off.</param>
public sealed record HeadAuditResult(
    int Layer, int Head, string Input, int Tokens, int HeadDim,
    double MeanCosine, double OptimalCosine, double LinearCka, double RbfCka,
    JProjTerms JProj,
    GammaConsistency GammaTrue, GammaConsistency GammaLearned, GammaConsistency GammaControl,
    double[] GramTopEigenvalues, double? ModelAttentionError, NullBaseline? Null)
{
    /// <summary>Sign convention of <see cref="MeanCosine"/> and <see cref="OptimalCosine"/>.</summary>
    public CosineSigns CosineSigns { get; init; } = CosineSigns.Raw;
    /// <summary>Mean cosine under the published convention (<see cref="CosineSigns.Raw"/>).</summary>
    public double RawMeanCosine { get; init; }
    /// <summary>Optimal cosine under the published convention (<see cref="CosineSigns.Raw"/>); the value compared
    /// with the published bound.</summary>
    public double RawOptimalCosine { get; init; }
    /// <summary>Real columns of V_KPCA: min(Dv, N - 1). When smaller than Dv, V_KPCA is padded with zero columns.</summary>
    public int KpcaColumns { get; init; }
    /// <summary>Dv, the value dimension.</summary>
    public int ValueDim { get; init; }
    /// <summary>Standardisation used for <see cref="GramTopEigenvalues"/>.</summary>
    public KeyStandardisation KeyStandardisation { get; init; }
    /// <summary>The reproduction study's pairwise gamma statistic.</summary>
    public GammaPairwise? GammaPairwise { get; init; }
}

/// <summary>Options of the per-head audit. Defaults follow the reproduction study's public code.</summary>
/// <param name="ControlNoise">Relative size of the perturbation of A in the gamma-consistency control.</param>
/// <param name="NullPermutations">Row permutations of V for the permutation null (0 = none).</param>
/// <param name="CosineSigns">Sign convention of the cosine metrics (published: raw).</param>
/// <param name="KeyStandardisation">Key standardisation of the Gram eigen-statistics (published: ddof = 1).</param>
/// <param name="GramAggregation">Aggregation of the Gram eigenvalues in summaries (published: per rank first).</param>
/// <param name="SignDraws">Sign patterns averaged by <see cref="CosineSigns.RandomAverage"/>.</param>
public sealed record AuditOptions(
    double ControlNoise = 0.5, int NullPermutations = 8,
    CosineSigns CosineSigns = CosineSigns.Raw,
    KeyStandardisation KeyStandardisation = KeyStandardisation.SampleStd,
    GramAggregation GramAggregation = GramAggregation.PerRankFirst,
    int SignDraws = 16)
{
    /// <summary>Throw <see cref="ArgumentException"/> naming the parameter when an option is out of range.</summary>
    public void Validate()
    {
        if (NullPermutations < 0) throw new ArgumentException("NullPermutations must be >= 0.", nameof(NullPermutations));
        if (!(ControlNoise > 0) || !double.IsFinite(ControlNoise))
            throw new ArgumentException("ControlNoise must be a positive number.", nameof(ControlNoise));
        if (SignDraws < 1) throw new ArgumentException("SignDraws must be >= 1.", nameof(SignDraws));
        if (!Enum.IsDefined(CosineSigns)) throw new ArgumentException("Unknown CosineSigns value.", nameof(CosineSigns));
    }
}

/// <summary>Per-head kernel-PCA audit (docs/theory.md, Study C).</summary>
public static class HeadAudit
{
    /// <summary>Noise of the reproduction study's gamma control (gammas.py: A + 0.1 randn, then QR).</summary>
    public const double PublishedGammaControlNoise = 0.1;

    /// <summary>Audit one head. <paramref name="rng"/> drives the random controls, the permutation null and random
    /// sign patterns.</summary>
    public static HeadAuditResult Audit(CapturedHead head, Rng rng, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(rng);
        options ??= new AuditOptions();
        options.Validate();
        var (q, k, v) = (head.Q, head.K, head.V);
        string what = $"layer {head.Layer} head {head.Head}";
        KernelPca.CheckHead(q, k, what);
        if (v.Rows != q.Rows) throw new ArgumentException($"{what}: V has {v.Rows} rows but there are {q.Rows} tokens.");
        if (!v.AllFinite()) throw new ArgumentException($"{what}: V contains NaN or infinity.");
        int n = q.Rows, dv = v.Cols;
        int comps = Math.Min(dv, n - 1);
        if (comps < 1) throw new ArgumentException($"{what}: need at least 2 tokens.");
        var kp = KernelPca.Compute(q, k, comps);
        var vk = PadColumns(kp.VKpca, dv);

        var signs = SignPatterns(options.CosineSigns, comps, options.SignDraws, rng.Split(2));
        var (meanCos, optCos) = Cosines(vk, v, options.CosineSigns, signs);
        var (rawMean, rawOpt) = options.CosineSigns == CosineSigns.Raw ? (meanCos, optCos) : Cosines(vk, v, CosineSigns.Raw, null);
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

        var aPub = aTrue.Clone();
        var pubNoise = Samplers.Gaussian(rng.Split(3), n, comps);
        TensorPrimitives.Multiply(pubNoise.Data, PublishedGammaControlNoise, pubNoise.Data);
        TensorPrimitives.Add(aPub.Data, pubNoise.Data, aPub.Data);
        aPub = Orthonormalise(aPub);
        var pairwise = new GammaPairwise(PairwiseGamma(kp.Kc, aTrue), PairwiseGamma(kp.Kc, aPub));

        var top = GramEigenvalues(k, q.Cols, options.KeyStandardisation);

        NullBaseline? nb = null;
        if (options.NullPermutations > 0)
            nb = PermutationNull(vk, v, options, signs, rng.Split(1), (meanCos, optCos, lin, rbf));
        return new HeadAuditResult(head.Layer, head.Head, head.Input, n, q.Cols, meanCos, optCos, lin, rbf, j,
            Gamma(kp.Kc, aTrue), Gamma(kp.Kc, aLearned), Gamma(kp.Kc, aCtrl), top, head.ModelAttentionError, nb)
        {
            CosineSigns = options.CosineSigns, RawMeanCosine = rawMean, RawOptimalCosine = rawOpt,
            KpcaColumns = comps, ValueDim = dv, KeyStandardisation = options.KeyStandardisation,
            GammaPairwise = pairwise,
        };
    }

    /// <summary>V_KPCA padded with zero columns to <paramref name="cols"/> columns (when N - 1 &lt; Dv).</summary>
    internal static Matrix PadColumns(Matrix vk, int cols)
    {
        if (vk.Cols >= cols) return vk;
        var p = new Matrix(vk.Rows, cols);
        for (int i = 0; i < vk.Rows; i++) vk.RowReadOnly(i).CopyTo(p.Row(i));
        return p;
    }

    private static NullBaseline PermutationNull(Matrix vk, Matrix v, AuditOptions options, List<double[]>? signs,
        Rng pr, (double Mean, double Opt, double Lin, double Rbf) observed)
    {
        int n = v.Rows, dv = v.Cols, np = options.NullPermutations;
        double mc = 0, oc = 0, lc = 0, rc = 0;
        int bm = 0, bo = 0, bl = 0, br = 0;
        var perm = new int[n];
        var vp = new Matrix(n, dv);
        for (int t = 0; t < np; t++)
        {
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) { int r = pr.NextInt(i + 1); (perm[i], perm[r]) = (perm[r], perm[i]); }
            for (int i = 0; i < n; i++) v.RowReadOnly(perm[i]).CopyTo(vp.Row(i));
            var (m, o) = Cosines(vk, vp, options.CosineSigns, signs);
            double l = Similarity.LinearCka(vk, vp), r2 = Similarity.RbfCka(vk, vp);
            mc += m; oc += o; lc += l; rc += r2;
            if (m < observed.Mean) bm++;
            if (o < observed.Opt) bo++;
            if (l < observed.Lin) bl++;
            if (r2 < observed.Rbf) br++;
        }
        return new NullBaseline(np, mc / np, oc / np, lc / np, rc / np) { Ranks = new NullRanks(bm, bo, bl, br) };
    }

    /// <summary>Column-sign patterns (+1/-1 per column; padded columns keep +1) for
    /// <see cref="CosineSigns.RandomAverage"/>: all 2^d when 2^d &lt;= <paramref name="draws"/>, else
    /// <paramref name="draws"/> random ones. Null for the other conventions.</summary>
    internal static List<double[]>? SignPatterns(CosineSigns mode, int d, int draws, Rng rng)
    {
        if (mode != CosineSigns.RandomAverage) return null;
        var r = new List<double[]>();
        if (d < 31 && (1L << d) <= draws)
        {
            for (long mask = 0; mask < 1L << d; mask++)
            {
                var s = new double[d];
                for (int c = 0; c < d; c++) s[c] = ((mask >> c) & 1) == 0 ? 1 : -1;
                r.Add(s);
            }
            return r;
        }
        for (int t = 0; t < draws; t++)
        {
            var s = new double[d];
            for (int c = 0; c < d; c++) s[c] = rng.NextDouble() < 0.5 ? 1 : -1;
            r.Add(s);
        }
        return r;
    }

    /// <summary>Mean and optimal cosine of <paramref name="vk"/> against <paramref name="v"/> under a sign
    /// convention (<paramref name="signs"/> = the patterns for <see cref="CosineSigns.RandomAverage"/>).</summary>
    internal static (double Mean, double Optimal) Cosines(Matrix vk, Matrix v, CosineSigns mode, List<double[]>? signs)
    {
        switch (mode)
        {
            case CosineSigns.Raw:
                return (Similarity.MeanRowCosine(vk, v), Similarity.OptimalCosine(vk, v));
            case CosineSigns.Aligned:
                var a = AlignSigns(vk, v);
                return (Similarity.MeanRowCosine(a, v), Similarity.OptimalCosine(a, v));
            default:
                if (signs == null || signs.Count == 0) throw new ArgumentException("Sign patterns are required.", nameof(signs));
                double m = 0, o = 0;
                var f = vk.Clone();
                foreach (var s in signs)
                {
                    for (int i = 0; i < vk.Rows; i++)
                        for (int c = 0; c < s.Length; c++) f[i, c] = s[c] * vk[i, c];
                    m += Similarity.MeanRowCosine(f, v);
                    o += Similarity.OptimalCosine(f, v);
                }
                return (m / signs.Count, o / signs.Count);
        }
    }

    /// <summary>Flip each column of <paramref name="vk"/> so that it has a non-negative inner product with the same
    /// column of <paramref name="v"/> (eigenvector signs are arbitrary; cosine metrics are not sign invariant).</summary>
    public static Matrix AlignSigns(Matrix vk, Matrix v)
    {
        ArgumentNullException.ThrowIfNull(vk);
        ArgumentNullException.ThrowIfNull(v);
        var r = vk.Clone();
        for (int d = 0; d < r.Cols; d++)
        {
            double dot = 0;
            for (int i = 0; i < r.Rows; i++) dot += r[i, d] * v[i, d];
            if (dot < 0) for (int i = 0; i < r.Rows; i++) r[i, d] = -r[i, d];
        }
        return r;
    }

    /// <summary>Top-<paramref name="count"/> |eigenvalues| of K_c built from the keys standardised per token under
    /// <paramref name="standardisation"/>, descending.</summary>
    public static double[] GramEigenvalues(Matrix k, int count, KeyStandardisation standardisation)
    {
        ArgumentNullException.ThrowIfNull(k);
        bool pub = standardisation == KeyStandardisation.SampleStd;
        var ks = KernelPca.StandardiseRows(k, pub && k.Cols > 1 ? 1 : 0, pub ? 1e-8 : 0);
        var kc = KernelPca.CentredGram(ks, out _, pub ? 1e-6 : 0);
        return [.. SymmetricEigen.TopK(kc, Math.Min(count, k.Rows)).Values.Select(Math.Abs).OrderByDescending(x => x)];
    }

    /// <summary>J_proj terms: |phi(q)|^2 = exp(q.q/sqrt D) / (sum_j exp(q.k_j/sqrt D))^2 (in logs) and |h_i|^2 with
    /// h = softmax(QK'/sqrt D) V.</summary>
    public static JProjTerms JProj(Matrix q, Matrix k, Matrix v)
    {
        KernelPca.CheckHead(q, k);
        ArgumentNullException.ThrowIfNull(v);
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
        double absDiff = 0;
        for (int i = 0; i < n; i++)
        {
            var hi = h.RowReadOnly(i);
            absDiff += Math.Abs(Math.Exp(logPhi[i]) - TensorPrimitives.SumOfSquares(hi));
        }
        double hMean = TensorPrimitives.SumOfSquares<double>(h.Data) / n;
        double log10H = hMean > 0 ? Math.Log10(hMean) : double.NegativeInfinity;
        double jp = Math.Exp(logPhiMean) - hMean;
        if (!double.IsFinite(jp)) jp = logPhiMean > 0 ? double.PositiveInfinity : jp;
        return new JProjTerms(logPhiMean / Math.Log(10), log10H, jp, absDiff / n);
    }

    /// <summary>Gamma-consistency of the columns of <paramref name="a"/> against K_c.</summary>
    public static GammaConsistency Gamma(Matrix kc, Matrix a)
    {
        ArgumentNullException.ThrowIfNull(kc);
        ArgumentNullException.ThrowIfNull(a);
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

    /// <summary>The reproduction's statistic: per column, gamma_i = (K_c a)_i / (N a_i) with no guard against
    /// small a_i (as gammas.py), then mean_{i&lt;j} |gamma_i - gamma_j|; averaged over the columns.</summary>
    public static double PairwiseGamma(Matrix kc, Matrix a)
    {
        ArgumentNullException.ThrowIfNull(kc);
        ArgumentNullException.ThrowIfNull(a);
        int n = kc.Rows;
        if (n < 2) throw new ArgumentException("Pairwise gamma needs at least 2 tokens.", nameof(kc));
        double sum = 0;
        var gam = new double[n];
        for (int d = 0; d < a.Cols; d++)
        {
            var x = a.Column(d);
            var y = kc.Multiply(x);
            for (int i = 0; i < n; i++) gam[i] = y[i] / (x[i] * n);
            Array.Sort(gam);
            // sum_{i<j} |g_i - g_j| = sum_k g_(k) (2k - n + 1) over the sorted values (0-based k)
            double s = 0;
            for (int i = 0; i < n; i++) s += gam[i] * (2.0 * i - n + 1);
            sum += s / (n * (n - 1) / 2.0);
        }
        return sum / a.Cols;
    }

    internal static double Median(List<double> xs)
    {
        if (xs.Count == 0) return 0;
        var s = xs.OrderBy(x => x).ToList();
        int m = s.Count;
        return m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
    }

    /// <summary>Lower median (the element of rank floor((m - 1) / 2) of the sorted values), as torch.median.</summary>
    internal static double LowerMedian(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        return s.Count == 0 ? 0 : s[(s.Count - 1) / 2];
    }

    /// <summary>Orthonormal columns (<see cref="Orthonormal.Columns"/>, relative tolerance 1e-10); a single zero
    /// column when every column is numerically dependent.</summary>
    internal static Matrix Orthonormalise(Matrix a)
    {
        var q = Orthonormal.Columns(a, relativeTolerance: 1e-10);
        return q.Cols > 0 ? q : new Matrix(a.Rows, 1);
    }
}
