using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>The per-head audit (docs/theory.md, Study C) against naive oracles written from the documented
/// definitions: the permutation null recomputed from its documented shuffle (Fisher–Yates on the audit's stream 1),
/// the gamma controls rebuilt from their documented noise, gamma consistency and pairwise gamma by direct loops,
/// the Gram eigen-statistics with MathNet, sign patterns, medians, and the input checks.</summary>
public class HeadAuditMutationTests
{
    private static Matrix Random(ulong seed, int n, int d) => Samplers.Gaussian(new Rng(seed), n, d);

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Null means and strict ranks recomputed permutation by permutation.</summary>
    [Theory]
    [InlineData(CosineSigns.Raw, 3)]
    [InlineData(CosineSigns.Aligned, 5)]
    [InlineData(CosineSigns.RandomAverage, 4)]
    public void PermutationNullMatchesARecomputation(CosineSigns mode, int perms)
    {
        var head = SyntheticHeads.IndependentHead(new Rng(21), 9, 6, 3);
        var rng = new Rng(5);
        var opts = new AuditOptions(NullPermutations: perms, CosineSigns: mode, SignDraws: 4);
        var r = HeadAudit.Audit(head, rng, opts);
        var kp = KernelPca.Compute(head.Q, head.K, 3);
        var signs = HeadAudit.SignPatterns(mode, 3, 4, rng.Split(2));
        var (m0, o0) = HeadAudit.Cosines(kp.VKpca, head.V, mode, signs);
        Assert.Equal(m0, r.MeanCosine, 12);
        Assert.Equal(o0, r.OptimalCosine, 12);
        var raw = HeadAudit.Cosines(kp.VKpca, head.V, CosineSigns.Raw, null);
        Assert.Equal(raw.Mean, r.RawMeanCosine, 12);
        Assert.Equal(raw.Optimal, r.RawOptimalCosine, 12);
        Assert.Equal(Similarity.LinearCka(kp.VKpca, head.V), r.LinearCka, 12);
        Assert.Equal(Similarity.RbfCka(kp.VKpca, head.V), r.RbfCka, 12);

        var pr = rng.Split(1);
        int n = 9;
        double mc = 0, oc = 0, lc = 0, rc = 0;
        int bm = 0, bo = 0, bl = 0, br = 0;
        for (int t = 0; t < perms; t++)
        {
            var perm = Enumerable.Range(0, n).ToArray();
            for (int i = n - 1; i > 0; i--) { int j = pr.NextInt(i + 1); (perm[i], perm[j]) = (perm[j], perm[i]); }
            var vp = new Matrix(n, head.V.Cols);
            for (int i = 0; i < n; i++) for (int c = 0; c < vp.Cols; c++) vp[i, c] = head.V[perm[i], c];
            var (m, o) = HeadAudit.Cosines(kp.VKpca, vp, mode, signs);
            double l = Similarity.LinearCka(kp.VKpca, vp), rb = Similarity.RbfCka(kp.VKpca, vp);
            mc += m; oc += o; lc += l; rc += rb;
            bm += m < r.MeanCosine ? 1 : 0; bo += o < r.OptimalCosine ? 1 : 0;
            bl += l < r.LinearCka ? 1 : 0; br += rb < r.RbfCka ? 1 : 0;
        }
        var nb = r.Null!;
        Assert.Equal(perms, nb.Permutations);
        Assert.Equal(mc / perms, nb.MeanCosine, 12);
        Assert.Equal(oc / perms, nb.OptimalCosine, 12);
        Assert.Equal(lc / perms, nb.LinearCka, 12);
        Assert.Equal(rc / perms, nb.RbfCka, 12);
        Assert.Equal(new NullRanks(bm, bo, bl, br), nb.Ranks);
        Assert.Null(HeadAudit.Audit(head, new Rng(5), opts with { NullPermutations = 0 }).Null);
    }

    /// <summary>For V = V_KPCA every permutation that moves a row lowers the mean cosine and both CKAs (observed
    /// CKA = 1, aligned mean cosine = 1), so every rank equals the number of permutations; the recorded shapes and labels.</summary>
    [Fact]
    public void KpcaHeadBeatsEveryPermutationAndRecordsItsShape()
    {
        var head = SyntheticHeads.KpcaHead(new Rng(4), 12, 8, 3) with { ModelAttentionError = 1e-7 };
        var r = HeadAudit.Audit(head, new Rng(9), new AuditOptions(NullPermutations: 6, CosineSigns: CosineSigns.Aligned));
        // the optimal cosine matches rows, so it is (up to rounding) permutation invariant: its rank is not fixed
        var ranks = r.Null!.Ranks;
        Assert.Equal((6, 6, 6), (ranks.MeanCosine, ranks.LinearCka, ranks.RbfCka));
        Assert.True(r.Null.LinearCka < 0.9 && r.Null.RbfCka < 0.99, $"{r.Null}");
        Assert.Equal((head.Layer, head.Head, head.Input, 12, 3), (r.Layer, r.Head, r.Input, r.Tokens, r.HeadDim));
        Assert.Equal((3, head.V.Cols), (r.KpcaColumns, r.ValueDim));
        Assert.Equal(1e-7, r.ModelAttentionError);
        Assert.Equal(KeyStandardisation.SampleStd, r.KeyStandardisation);
        Assert.Equal(HeadAudit.GramEigenvalues(head.K, 3, KeyStandardisation.SampleStd), r.GramTopEigenvalues);
        var pop = HeadAudit.Audit(head, new Rng(9),
            new AuditOptions(NullPermutations: 0, KeyStandardisation: KeyStandardisation.PopulationStd));
        Assert.Equal(KeyStandardisation.PopulationStd, pop.KeyStandardisation);
        Assert.Equal(HeadAudit.GramEigenvalues(head.K, 3, KeyStandardisation.PopulationStd), pop.GramTopEigenvalues);
    }

    /// <summary>The three gamma-consistency inputs and the pairwise statistic rebuilt from their documented
    /// construction: true A; centred diag(g) V orthonormalised; A + ControlNoise/sqrt(N) noise (stream 0); the
    /// published control A + 0.1 noise (stream 3).</summary>
    [Fact]
    public void GammaControlsFollowTheirDocumentedConstruction()
    {
        var head = SyntheticHeads.IndependentHead(new Rng(31), 10, 6, 3);
        var rng = new Rng(8);
        var opts = new AuditOptions(ControlNoise: 2.0, NullPermutations: 0);
        var r = HeadAudit.Audit(head, rng, opts);
        var kp = KernelPca.Compute(head.Q, head.K, 3);
        int n = 10;
        Matrix Noisy(ulong stream, double scale)
        {
            var a = kp.A.Clone();
            var z = Samplers.Gaussian(rng.Split(stream), n, 3);
            for (int i = 0; i < a.Data.Length; i++) a.Data[i] += scale * z.Data[i];
            return Orthonormal.Columns(a, relativeTolerance: 1e-10);
        }
        var learned = new Matrix(n, head.V.Cols);
        for (int c = 0; c < learned.Cols; c++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += Math.Exp(kp.LogGKeys[i]) * head.V[i, c];
            mean /= n;
            for (int i = 0; i < n; i++) learned[i, c] = Math.Exp(kp.LogGKeys[i]) * head.V[i, c] - mean;
        }
        learned = Orthonormal.Columns(learned, relativeTolerance: 1e-10);
        AssertGamma(HeadAudit.Gamma(kp.Kc, kp.A), r.GammaTrue);
        AssertGamma(HeadAudit.Gamma(kp.Kc, learned), r.GammaLearned);
        AssertGamma(HeadAudit.Gamma(kp.Kc, Noisy(0, 2.0 / Math.Sqrt(n))), r.GammaControl);
        Assert.Equal(HeadAudit.PairwiseGamma(kp.Kc, kp.A), r.GammaPairwise!.True, 12);
        Assert.Equal(HeadAudit.PairwiseGamma(kp.Kc, Noisy(3, HeadAudit.PublishedGammaControlNoise)),
            r.GammaPairwise.Control, 9);
        Assert.Equal(0.1, HeadAudit.PublishedGammaControlNoise);
    }

    private static void AssertGamma(GammaConsistency expected, GammaConsistency actual)
    {
        Assert.Equal(expected.Residual, actual.Residual, 10);
        Assert.Equal(expected.Spread, actual.Spread, 8);
    }

    /// <summary>Residual |y - (x'y / x'x) x| / |y| and Spread = median|r - median r| / |median r| with r_i = y_i / (N x_i)
    /// over entries above 1e-6 max|x|, averaged over the usable columns; zero columns and columns with K_c x = 0 are
    /// skipped; nothing usable throws.</summary>
    [Fact]
    public void GammaMatchesTheDefinitionColumnByColumn()
    {
        int n = 7;
        var kc = KernelPca.CentredGram(Random(41, n, 3), out _);
        var a = Random(42, n, 3);
        for (int i = 0; i < n; i++) a[i, 1] = 0;          // zero column: skipped
        a[2, 0] = 1e-9;                                    // below 1e-6 max|x|: left out of the ratios
        a[3, 2] = 1e-4;                                    // above: kept
        double res = 0, spread = 0;
        foreach (int c in new[] { 0, 2 })
        {
            var x = a.Column(c);
            var y = kc.Multiply(x);
            double xx = x.Sum(t => t * t), xy = x.Zip(y, (p, q) => p * q).Sum();
            double ny = Math.Sqrt(y.Sum(t => t * t));
            res += Math.Sqrt(Enumerable.Range(0, n).Sum(i => Math.Pow(y[i] - xy / xx * x[i], 2))) / ny;
            double xmax = x.Max(Math.Abs);
            var ratios = Enumerable.Range(0, n).Where(i => Math.Abs(x[i]) > 1e-6 * xmax).Select(i => y[i] / (n * x[i]))
                .ToList();
            Assert.Equal(c == 0 ? n - 1 : n, ratios.Count);
            double med = Median(ratios);
            spread += Median(ratios.Select(t => Math.Abs(t - med))) / Math.Abs(med);
        }
        var g = HeadAudit.Gamma(kc, a);
        Assert.Equal(res / 2, g.Residual, 12);
        Assert.Equal(spread / 2, g.Spread, 10);

        Assert.Contains("no non-degenerate candidate vector",
            Assert.Throws<ArgumentException>(() => HeadAudit.Gamma(kc, new Matrix(n, 2))).Message);
        // an exact eigenvector: residual 0 and every ratio equal, so the spread is 0
        var kp = KernelPca.Compute(Random(43, n, 3), Random(44, n, 3), 1);
        var ge = HeadAudit.Gamma(kp.Kc, kp.A);
        Assert.True(ge.Residual < 1e-10 && ge.Spread < 1e-8, $"{ge}");
    }

    /// <summary>Hand case K = diag(2, 1, 0): the column e3 has K e3 = 0 and is skipped (alone it throws); x = 1:
    /// y = (2, 1, 0), y - x = (1, 0, -1): residual sqrt(2/5); ratios y / (3x) = (2/3, 1/3, 0), median 1/3,
    /// deviations (1/3, 0, 1/3): spread 1. Spread is +infinity when the median ratio is 0.</summary>
    [Fact]
    public void GammaHandCasesAndInfiniteSpread()
    {
        var k3 = Matrix.FromArray(new double[,] { { 2, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0 } });
        var g3 = HeadAudit.Gamma(k3, Matrix.FromArray(new double[,] { { 0, 1 }, { 0, 1 }, { 1, 1 } }));
        Assert.Equal(Math.Sqrt(0.4), g3.Residual, 14);
        Assert.Equal(1.0, g3.Spread, 14);
        Assert.Throws<ArgumentException>(() => HeadAudit.Gamma(k3, Matrix.FromArray(new double[,] { { 0 }, { 0 }, { 1 } })));

        // K_c = diag(1, 0, 0) (a valid matrix argument; Gamma does not require centring), x = (1, 1, 1): y = (1, 0, 0),
        // ratios (1/3, 0, 0), median 0
        var kc = Matrix.FromArray(new double[,] { { 1, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } });
        var a = Matrix.FromArray(new double[,] { { 1 }, { 1 }, { 1 } });
        var g = HeadAudit.Gamma(kc, a);
        Assert.True(double.IsPositiveInfinity(g.Spread));
        Assert.Equal(Math.Sqrt(2.0 / 3), g.Residual, 12); // y - (1/3) x = (2/3, -1/3, -1/3), |.| = sqrt(6)/3
    }

    /// <summary>Pairwise gamma: mean over pairs i &lt; j of |gamma_i - gamma_j| with gamma = (K_c a) / (N a), averaged
    /// over columns, by the O(N^2) double loop.</summary>
    [Fact]
    public void PairwiseGammaMatchesTheDoubleLoop()
    {
        int n = 6;
        var kc = KernelPca.CentredGram(Random(51, n, 2), out _);
        var a = Random(52, n, 3);
        double total = 0;
        for (int c = 0; c < 3; c++)
        {
            var x = a.Column(c);
            var y = kc.Multiply(x);
            double s = 0;
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) s += Math.Abs(y[i] / (n * x[i]) - y[j] / (n * x[j]));
            total += s / (n * (n - 1) / 2.0);
        }
        Assert.Equal(total / 3, HeadAudit.PairwiseGamma(kc, a), 10);
        var e = Assert.Throws<ArgumentException>(() => HeadAudit.PairwiseGamma(new Matrix(1, 1), new Matrix(1, 1)));
        Assert.Equal("kc", e.ParamName);
        Assert.Contains("at least 2 tokens", e.Message);
    }

    /// <summary>Top |eigenvalues| of K_c of the standardised keys: SampleStd = ddof 1, eps 1e-8 and K_phi denominator
    /// + 1e-6 (ddof 0 when D = 1); PopulationStd = ddof 0, no epsilons. MathNet as the eigen oracle; count capped
    /// at N.</summary>
    [Theory]
    [InlineData(KeyStandardisation.SampleStd, 4, 3)]
    [InlineData(KeyStandardisation.PopulationStd, 4, 3)]
    [InlineData(KeyStandardisation.SampleStd, 1, 9)]
    [InlineData(KeyStandardisation.PopulationStd, 3, 9)]
    public void GramEigenvaluesMatchMathNet(KeyStandardisation std, int d, int count)
    {
        int n = 6;
        var k = Random(61, n, d);
        bool pub = std == KeyStandardisation.SampleStd;
        var ks = KernelPca.StandardiseRows(k, pub && d > 1 ? 1 : 0, pub ? 1e-8 : 0);
        var kc = KernelPca.CentredGram(ks, out _, pub ? 1e-6 : 0);
        var mn = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(kc.ToArray());
        var ev = mn.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues
            .Select(c => Math.Abs(c.Real)).OrderByDescending(x => x).Take(Math.Min(count, n)).ToArray();
        var got = HeadAudit.GramEigenvalues(k, count, std);
        Assert.Equal(ev.Length, got.Length);
        for (int i = 0; i < ev.Length; i++) Assert.Equal(ev[i], got[i], 10);
        for (int i = 1; i < got.Length; i++) Assert.True(got[i] <= got[i - 1]);
        if (d > 1)
        {
            // the two conventions differ (ddof 1 rescales every key by sqrt((D-1)/D))
            var other = HeadAudit.GramEigenvalues(k, count,
                pub ? KeyStandardisation.PopulationStd : KeyStandardisation.SampleStd);
            Assert.True(Math.Abs(other[0] - got[0]) > 1e-6 * got[0], $"{other[0]} vs {got[0]}");
        }
    }

    /// <summary>All 2^d distinct patterns when 2^d &lt;= draws (boundary 2^d = draws included), else 'draws' random
    /// ±1 patterns with each sign about half the time (2000 signs: within 5 standard errors of 1/2).</summary>
    [Fact]
    public void SignPatternsAreExhaustiveOrFairCoinFlips()
    {
        var all = HeadAudit.SignPatterns(CosineSigns.RandomAverage, 4, 16, new Rng(1))!;
        Assert.Equal(16, all.Count);
        Assert.Equal(16, all.Select(s => string.Join(",", s)).Distinct().Count());
        Assert.All(all, s => Assert.All(s, x => Assert.True(x == 1 || x == -1)));
        Assert.Equal([1.0, 1, 1, 1], all[0]);
        Assert.Equal([-1.0, 1, 1, 1], all[1]);
        Assert.Single(HeadAudit.SignPatterns(CosineSigns.RandomAverage, 0, 1, new Rng(1))!);
        var drawn = HeadAudit.SignPatterns(CosineSigns.RandomAverage, 40, 50, new Rng(2))!;
        Assert.Equal(50, drawn.Count);
        var flat = drawn.SelectMany(s => s).ToArray();
        Assert.All(flat, x => Assert.True(x == 1 || x == -1));
        double frac = flat.Count(x => x < 0) / (double)flat.Length;
        Assert.True(Math.Abs(frac - 0.5) < 5 * Math.Sqrt(0.25 / flat.Length), $"fraction of -1: {frac}");
        Assert.Null(HeadAudit.SignPatterns(CosineSigns.Aligned, 2, 16, new Rng(1)));
        var e = Assert.Throws<ArgumentException>(() =>
            HeadAudit.Cosines(new Matrix(2, 1), new Matrix(2, 1), CosineSigns.RandomAverage, []));
        Assert.Equal("signs", e.ParamName);
        Assert.Throws<ArgumentException>(() =>
            HeadAudit.Cosines(new Matrix(2, 1), new Matrix(2, 1), CosineSigns.RandomAverage, null));
    }

    /// <summary>A column orthogonal to V's (inner product exactly 0) keeps its sign; a negative one is flipped.</summary>
    [Fact]
    public void AlignSignsFlipsOnlyNegativeInnerProducts()
    {
        var vk = Matrix.FromArray(new double[,] { { 1, 2 }, { 1, -1 } });
        var v = Matrix.FromArray(new double[,] { { 1, -1 }, { -1, 0 } });
        var r = HeadAudit.AlignSigns(vk, v); // column 0: dot 0 (kept); column 1: dot -2 (flipped)
        Assert.Equal(new double[] { 1, -2, 1, 1 }, r.Data);
        Assert.Equal(new double[] { 1, 2, 1, -1 }, vk.Data); // input untouched
    }

    /// <summary>Median of an even count averages the two middle values; lower median takes the lower one; both are
    /// 0 for no values. Orthonormalise returns one zero column when nothing is independent; padding adds zero
    /// columns only when needed.</summary>
    [Fact]
    public void MediansOrthonormaliseAndPadding()
    {
        Assert.Equal(2.5, HeadAudit.Median([4, 1, 3, 2]));
        Assert.Equal(3.0, HeadAudit.Median([5, 1, 3]));
        Assert.Equal(0.0, HeadAudit.Median([]));
        Assert.Equal(2.0, HeadAudit.LowerMedian([4, 1, 3, 2]));
        Assert.Equal(3.0, HeadAudit.LowerMedian([5, 1, 3]));
        Assert.Equal(0.0, HeadAudit.LowerMedian([]));
        var z = HeadAudit.Orthonormalise(new Matrix(4, 3));
        Assert.Equal((4, 1), (z.Rows, z.Cols));
        Assert.All(z.Data, x => Assert.Equal(0.0, x));
        var o = HeadAudit.Orthonormalise(Random(71, 4, 2));
        Assert.Equal(2, o.Cols);
        var vk = Random(72, 3, 2);
        Assert.Same(vk, HeadAudit.PadColumns(vk, 2));
        Assert.Same(vk, HeadAudit.PadColumns(vk, 1));
        var p = HeadAudit.PadColumns(vk, 4);
        Assert.Equal((3, 4), (p.Rows, p.Cols));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(vk[i, 0], p[i, 0]); Assert.Equal(vk[i, 1], p[i, 1]);
            Assert.Equal(0.0, p[i, 2]); Assert.Equal(0.0, p[i, 3]);
        }
    }

    /// <summary>J_proj with V = 0: |h|^2 = 0, so log10 of the h-term is -infinity and J_proj is the phi-term alone;
    /// with huge scores the phi-term overflows and J_proj is +infinity.</summary>
    [Fact]
    public void JProjEdgeCases()
    {
        var q = Random(81, 5, 2);
        var j = HeadAudit.JProj(q, q, new Matrix(5, 3));
        Assert.True(double.IsNegativeInfinity(j.Log10HTerm));
        double phi = 0;
        var w = KernelPca.AttentionWeights(q, q);
        for (int i = 0; i < 5; i++)
        {
            double z = 0;
            for (int t = 0; t < 5; t++) z += Math.Exp((q[i, 0] * q[t, 0] + q[i, 1] * q[t, 1]) / Math.Sqrt(2));
            phi += Math.Exp((q[i, 0] * q[i, 0] + q[i, 1] * q[i, 1]) / Math.Sqrt(2)) / (z * z);
        }
        Assert.Equal(phi / 5, j.JProj, 12);
        Assert.Equal(phi / 5, j.MeanAbsDifference, 12);
        Assert.Equal(Math.Log10(phi / 5), j.Log10PhiTerm, 12);
        // |q| large, keys small: exp(q.q / sqrt D) overflows while the normaliser stays about N
        var big = HeadAudit.JProj(200 * q, 1e-3 * q, Random(82, 5, 3));
        Assert.True(double.IsPositiveInfinity(big.JProj), $"{big.JProj}");
        Assert.True(big.Log10PhiTerm > 308, $"{big.Log10PhiTerm}");
        Assert.True(double.IsFinite(big.Log10HTerm));
    }

    /// <summary>Every option check fires on its own condition, at its boundary, naming the parameter.</summary>
    [Fact]
    public void OptionsAndInputsAreCheckedWithSpecificMessages()
    {
        new AuditOptions(NullPermutations: 0, SignDraws: 1, ControlNoise: 1e-300).Validate(); // boundaries accepted
        void Bad(AuditOptions o, string param, string text)
        {
            var e = Assert.Throws<ArgumentException>(o.Validate);
            Assert.Equal(param, e.ParamName);
            Assert.Contains(text, e.Message);
        }
        Bad(new AuditOptions(NullPermutations: -1), "NullPermutations", "NullPermutations must be >= 0.");
        Bad(new AuditOptions(ControlNoise: 0), "ControlNoise", "ControlNoise must be a positive number.");
        Bad(new AuditOptions(ControlNoise: double.NaN), "ControlNoise", "positive");
        Bad(new AuditOptions(ControlNoise: double.PositiveInfinity), "ControlNoise", "positive");
        Bad(new AuditOptions(SignDraws: 0), "SignDraws", "SignDraws must be >= 1.");
        Bad(new AuditOptions(CosineSigns: (CosineSigns)7), "CosineSigns", "Unknown CosineSigns value.");

        var head = SyntheticHeads.IndependentHead(new Rng(91), 6, 4, 2) with { Layer = 2, Head = 5 };
        Assert.Throws<ArgumentNullException>(() => HeadAudit.Audit(null!, new Rng(1)));
        Assert.Throws<ArgumentNullException>(() => HeadAudit.Audit(head, null!));
        Assert.Throws<ArgumentException>(() => HeadAudit.Audit(head, new Rng(1), new AuditOptions(SignDraws: 0)));
        var e = Assert.Throws<ArgumentException>(() => HeadAudit.Audit(head with { V = Random(92, 5, 3) }, new Rng(1)));
        Assert.Equal("layer 2 head 5: V has 5 rows but there are 6 tokens.", e.Message);
        var nanV = head.V.Clone(); nanV[0, 0] = double.NaN;
        e = Assert.Throws<ArgumentException>(() => HeadAudit.Audit(head with { V = nanV }, new Rng(1)));
        Assert.Equal("layer 2 head 5: V contains NaN or infinity.", e.Message);
        e = Assert.Throws<ArgumentException>(() => HeadAudit.Audit(head with { V = new Matrix(6, 0) }, new Rng(1)));
        Assert.Equal("layer 2 head 5: need at least 2 tokens.", e.Message);
        var badQ = head.Q.Clone(); badQ[1, 1] = double.PositiveInfinity;
        Assert.StartsWith("layer 2 head 5:",
            Assert.Throws<ArgumentException>(() => HeadAudit.Audit(head with { Q = badQ }, new Rng(1))).Message);
    }
}
