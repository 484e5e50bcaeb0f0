using AttentionSpectra.Models;
using AttentionSpectra.Models.Onnx;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Tests.KernelPcaAudit.Onnx;

/// <summary>The style corpus: every export style of the same attention gives the eager graph's per-head metrics
/// (within 1e-6), its captured Q, K and scale reproduce the model's pre-softmax logits, and what cannot be audited
/// is named instead of aborting the run.</summary>
public class OnnxStyleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-styles-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly AttentionStyles.Weights W = AttentionStyles.Weights.Random(2024);
    private static readonly AuditOptions NoNull = new(NullPermutations: 0);

    private static DenseTensor<float> Input(int batch, ulong seed, int tokens = AttentionStyles.N)
    {
        var x = new double[batch * tokens * AttentionStyles.C];
        new Rng(seed).FillGaussian(x, 0, 1);
        return new DenseTensor<float>(x.Select(v => (float)v).ToArray(), [batch, tokens, AttentionStyles.C]);
    }

    private ExtractedAttention Extract(byte[] model, Dictionary<string, Tensor<float>> feeds, string name,
        bool cross = false)
    {
        string path = Path.Combine(_dir, name + ".onnx");
        File.WriteAllBytes(path, model);
        using var ex = new OnnxAttentionExtractor(path);
        return ex.Extract(feeds, "x", includeCrossAttention: cross);
    }

    private static List<HeadAuditResult> Audit(ExtractedAttention e) =>
        e.Heads.Select(h => HeadAudit.Audit(h, new Rng(7), NoNull)).ToList();

    private static void AssertSameMetrics(List<HeadAuditResult> expected, List<HeadAuditResult> actual,
        double tol = 1e-6)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal((e.Head, e.Input), (a.Head, a.Input));
            Assert.Equal(e.MeanCosine, a.MeanCosine, tol);
            Assert.Equal(e.OptimalCosine, a.OptimalCosine, tol);
            Assert.Equal(e.LinearCka, a.LinearCka, tol);
            Assert.Equal(e.RbfCka, a.RbfCka, tol);
            Assert.Equal(e.JProj.Log10Ratio, a.JProj.Log10Ratio, tol);
        }
    }

    private Dictionary<string, Tensor<float>> Feeds(AttentionStyle style, int batch = 1)
    {
        var f = new Dictionary<string, Tensor<float>> { ["x"] = Input(batch, 5) };
        if (style == AttentionStyle.MasksAndBiases)
        {
            var m = new DenseTensor<float>([batch, AttentionStyles.N]);
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < AttentionStyles.N; j++) m[b, j] = j == 2 ? 0 : 1;
            f["mask"] = m;
        }
        return f;
    }

    [Theory]
    [InlineData(AttentionStyle.DivByTensor)]
    [InlineData(AttentionStyle.QueryPrescaled)]
    [InlineData(AttentionStyle.QuarterPowerSplit)]
    [InlineData(AttentionStyle.RuntimeScale)]
    [InlineData(AttentionStyle.Einsum)]
    [InlineData(AttentionStyle.Transposed)]
    [InlineData(AttentionStyle.ReshapeSoftmax)]
    [InlineData(AttentionStyle.MasksAndBiases)]
    [InlineData(AttentionStyle.MultiQuery)]
    [InlineData(AttentionStyle.GroupedQueryExpand)]
    public void EveryStyle_GivesTheEagerGraphsMetricsAndPassesTheLogitCheck(AttentionStyle style)
    {
        bool mq = style is AttentionStyle.MultiQuery or AttentionStyle.GroupedQueryExpand;
        var eager = Extract(AttentionStyles.Model(AttentionStyle.Eager, W, kvShared: mq), Feeds(AttentionStyle.Eager),
            "eager");
        var got = Extract(AttentionStyles.Model(style, W), Feeds(style), style.ToString());
        Assert.Equal(AttentionStyles.H, got.Heads.Count);
        Assert.Contains(got.Notes, n => n.StartsWith($"logit check: {AttentionStyles.H} of {AttentionStyles.H}"));
        double d = AttentionStyles.D;
        foreach (var h in got.Heads)
        {
            Assert.True(h.LogitError < 1e-5, $"{style} head {h.Head}: logit error {h.LogitError}");
            Assert.Equal(1 / Math.Sqrt(d), h.LogitScale!.Value, 1e-6);
            // the audited keys are the unscaled projections: identical to the eager graph's
            var e = eager.Heads[h.Head];
            for (int i = 0; i < h.K.Rows; i++)
                for (int j = 0; j < h.K.Cols; j++)
                {
                    Assert.Equal(e.K[i, j], h.K[i, j], 1e-5);
                    Assert.Equal(e.Q[i, j], h.Q[i, j], 1e-5);
                    Assert.Equal(e.V[i, j], h.V[i, j], 1e-5);
                }
        }
        AssertSameMetrics(Audit(eager), Audit(got));
        // the block input X (the rows Q was projected from) is the model input x
        var x = Input(1, 5);
        foreach (var h in got.Heads)
        {
            Assert.NotNull(h.X);
            for (int i = 0; i < AttentionStyles.N; i++)
                for (int j = 0; j < AttentionStyles.C; j++) Assert.Equal(x[0, i, j], h.X![i, j]);
        }
    }

    [Fact]
    public void MasksAndBiases_AreReportedAsTheExactAdditiveTerm()
    {
        var got = Extract(AttentionStyles.Model(AttentionStyle.MasksAndBiases, W), Feeds(AttentionStyle.MasksAndBiases),
            "mask");
        var rel = AttentionStyles.RelativeBias();
        int n = AttentionStyles.N;
        foreach (var h in got.Heads)
        {
            Assert.NotNull(h.LogitBias);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double b = h.LogitBias![i, j];
                    if (j > i) { Assert.True(b < -1e8, $"causal mask at ({i},{j}): {b}"); continue; }
                    double bert = j == 2 ? -1e4 / Math.Sqrt(AttentionStyles.D) : 0;
                    double expected = bert + rel[(h.Head * n + i) * n + j];
                    Assert.Equal(expected, b, Math.Max(1e-4, Math.Abs(expected) * 1e-6));
                }
            Assert.True(h.ModelAttentionError > 0.01, "the mask changes the attention: attn_check_err must show it");
        }
        Assert.Contains(got.Notes, s => s.Contains("masks/biases") && s.Contains("38 of 72 logits masked"));
    }

    [Fact]
    public void BatchOfTwo_EachElementEqualsItsOwnRun()
    {
        var x2 = Input(2, 9);
        var both = Extract(AttentionStyles.Model(AttentionStyle.QuarterPowerSplit, W, batch: 2),
            new() { ["x"] = x2 }, "b2");
        Assert.Equal(2 * AttentionStyles.H, both.Heads.Count);
        int per = AttentionStyles.N * AttentionStyles.C;
        for (int b = 0; b < 2; b++)
        {
            var xb = new DenseTensor<float>(x2.Buffer.Slice(b * per, per).ToArray(),
                [1, AttentionStyles.N, AttentionStyles.C]);
            var one = Extract(AttentionStyles.Model(AttentionStyle.Eager, W), new() { ["x"] = xb }, $"b1_{b}");
            var mine = both.Heads.Where(h => h.Input == $"x#{b}").ToList();
            AssertSameMetrics(Audit(one).Select(m => m with { Input = $"x#{b}" }).ToList(),
                mine.Select(h => HeadAudit.Audit(h, new Rng(7), NoNull)).ToList());
        }
    }

    [Fact]
    public void CrossAttention_IsSkippedWithANoteAndAuditedOnRequest()
    {
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, AttentionStyles.N, AttentionStyles.C]);
        g.Input("y", OnnxGraphBuilder.Float, [1, 4, AttentionStyles.C]);
        string o1 = AttentionStyles.Block(g, AttentionStyle.Eager, W, "x", 1, prefix: "self_");
        string o2 = AttentionStyles.Block(g, AttentionStyle.Eager, W, "x", 1, prefix: "cross_", keySource: "y",
            keyTokens: 4);
        g.Output(o1); g.Output(o2);
        var feeds = new Dictionary<string, Tensor<float>> { ["x"] = Input(1, 3), ["y"] = Input(1, 4, tokens: 4) };
        var got = Extract(g.Bytes(), feeds, "cross");
        Assert.All(got.Heads, h => Assert.Equal(0, h.Layer));
        Assert.Equal(AttentionStyles.H, got.Heads.Count);
        Assert.Contains(got.Notes, s => s.Contains("block 1: cross-attention (6 query vs 4 key tokens): skipped"));
        var all = Extract(g.Bytes(), feeds, "cross2", cross: true);
        Assert.Equal(2 * AttentionStyles.H, all.Heads.Count);
        Assert.All(all.Heads, h => Assert.True(h.LogitError < 1e-5));
        Assert.Equal(4, all.Heads.First(h => h.Layer == 1).K.Rows);
    }

    [Theory]
    [InlineData("MultiHeadAttention")]
    [InlineData("Attention")]
    [InlineData("GroupQueryAttention")]
    public void FusedComMicrosoftOps_AreExpandedAndGiveTheEagerMetrics(string op)
    {
        int n = AttentionStyles.N, c = AttentionStyles.C, h = AttentionStyles.H, d = AttentionStyles.D;
        bool gqa = op == "GroupQueryAttention";
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, n, c]);
        string Proj(string w, double[] wv, double[] bv, int cols) =>
            g.Node("Add", [g.Node("MatMul", ["x", g.Floats("W" + w, [c, cols], wv)]), g.Floats("b" + w, [cols], bv)]);
        string o;
        if (op == "Attention")
        {
            var wcat = new double[c * 3 * c];
            for (int i = 0; i < c; i++)
                for (int j = 0; j < c; j++)
                {
                    wcat[i * 3 * c + j] = W.Wq[i * c + j];
                    wcat[i * 3 * c + c + j] = W.Wk[i * c + j];
                    wcat[i * 3 * c + 2 * c + j] = W.Wv[i * c + j];
                }
            o = g.NodeIn("com.microsoft", "Attention", ["x", g.Floats("Wqkv", [c, 3 * c], wcat),
                g.Floats("bqkv", [3 * c], [.. W.Bq, .. W.Bk, .. W.Bv])], ("num_heads", (long)h));
        }
        else if (gqa)
        {
            // one K/V head shared by both query heads; GQA is causal
            string k = Proj("k", AttentionStyles.Weights.Head0(W.Wk, c), W.Bk[..d], d);
            string v = Proj("v", AttentionStyles.Weights.Head0(W.Wv, c), W.Bv[..d], d);
            g.Graph.Initializer.Add(OnnxGraphBuilder.Int32s("seqlens", [1], [n - 1]));
            g.Graph.Initializer.Add(OnnxGraphBuilder.Int32s("total", [], [n]));
            o = g.NodeIn("com.microsoft", "GroupQueryAttention",
                [Proj("q", W.Wq, W.Bq, c), k, v, "", "", "seqlens", "total"],
                ("num_heads", (long)h), ("kv_num_heads", 1L));
        }
        else
            o = g.NodeIn("com.microsoft", "MultiHeadAttention", [Proj("q", W.Wq, W.Bq, c), Proj("k", W.Wk, W.Bk, c),
                Proj("v", W.Wv, W.Bv, c)], ("num_heads", (long)h));
        g.Output(o);
        // the expansion computes what OnnxRuntime's fused kernel computes (its GQA kernel needs D % 8 == 0: below)
        if (!gqa) AssertExpansionMatchesKernel(g.Bytes(), Input(1, 5));
        var got = Extract(g.Bytes(), Feeds(AttentionStyle.Eager), op);
        Assert.Contains(got.Notes, s => s.Contains($"com.microsoft.{op} node") && s.Contains("expanded"));
        var eager = Extract(AttentionStyles.Model(AttentionStyle.Eager, W, kvShared: gqa), Feeds(AttentionStyle.Eager),
            "eager");
        Assert.Equal(h, got.Heads.Count);
        foreach (var head in got.Heads)
        {
            Assert.True(head.LogitError < 1e-5, $"{op} head {head.Head}: {head.LogitError}");
            if (gqa) Assert.True(head.LogitBias![0, n - 1] < -1e8, "GQA is causal");
        }
        AssertSameMetrics(Audit(eager), Audit(got));
    }

    private static void AssertExpansionMatchesKernel(byte[] model, DenseTensor<float> x)
    {
        var expanded = OnnxModel.Parse(model);
        Assert.Single(OnnxFusedAttention.Expand(expanded));
        float[] Run(byte[] bytes)
        {
            using var s = new Microsoft.ML.OnnxRuntime.InferenceSession(bytes);
            using var r = s.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("x", x)]);
            return r.First().AsTensor<float>().ToArray();
        }
        var fusedOut = Run(model);
        var plainOut = Run(expanded.Proto.ToByteArray());
        Assert.Equal(fusedOut.Length, plainOut.Length);
        for (int i = 0; i < fusedOut.Length; i++) Assert.Equal(fusedOut[i], plainOut[i], 1e-4);
    }

    [Fact]
    public void GroupQueryAttentionExpansion_MatchesTheFusedKernel()
    {
        // 4 query heads sharing 2 K/V heads, head size 8 (the CPU kernel's constraint), causal
        int n = 5, c = 32, h = 4, hkv = 2, d = 8;
        var r = new Rng(77);
        double[] G(int len) { var a = new double[len]; r.FillGaussian(a, 0, 0.4); return a; }
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, n, c]);
        string P(string w, int cols) => g.Node("MatMul", ["x", g.Floats(w, [c, cols], G(c * cols))]);
        g.Graph.Initializer.Add(OnnxGraphBuilder.Int32s("seqlens", [1], [n - 1]));
        g.Graph.Initializer.Add(OnnxGraphBuilder.Int32s("total", [], [n]));
        g.Output(g.NodeIn("com.microsoft", "GroupQueryAttention",
            [P("wq", h * d), P("wk", hkv * d), P("wv", hkv * d), "", "", "seqlens", "total"],
            ("num_heads", (long)h), ("kv_num_heads", (long)hkv)));
        var x = new double[n * c];
        r.FillGaussian(x, 0, 1);
        AssertExpansionMatchesKernel(g.Bytes(), new DenseTensor<float>(x.Select(v => (float)v).ToArray(), [1, n, c]));
    }

    [Fact]
    public void ABlockThatFailsAtRunTime_IsNamedAndTheOthersAreAudited()
    {
        // block 1 normalises over the query axis and then contracts the key axis with V: not an attention the
        // kernel view describes; the run must go on with block 0
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, AttentionStyles.N, AttentionStyles.C]);
        g.Output(AttentionStyles.Block(g, AttentionStyle.Eager, W, "x", 1, prefix: "ok_"));
        AttentionStyles.Block(g, AttentionStyle.Eager, W, "x", 1, prefix: "bad_");
        var bad = g.Graph.Node.Last(nd => nd.OpType == "Softmax");
        bad.Attribute[0].I = -2;
        g.Output(g.Graph.Node[^1].Output[0]);
        var got = Extract(g.Bytes(), Feeds(AttentionStyle.Eager), "bad");
        Assert.Equal(AttentionStyles.H, got.Heads.Count);
        Assert.All(got.Heads, h => Assert.Equal(0, h.Layer));
        Assert.Contains(got.Notes, s => s.StartsWith("block 1: not auditable: the value product does not contract"));
    }

    [Fact]
    public void FusedOpsAndSubgraphs_AreNamedNotAudited_AndTheRestIsAudited()
    {
        var g = new OnnxGraphBuilder();
        g.Input("x", OnnxGraphBuilder.Float, [1, AttentionStyles.N, AttentionStyles.C]);
        string o = AttentionStyles.Block(g, AttentionStyle.Eager, W, "x", 1);
        g.Output(o);
        var proto = g.Model();
        // a key/value cache input keeps the node fused
        var fused = new NodeProto { OpType = "MultiHeadAttention", Domain = "com.microsoft", Name = "mha" };
        fused.Input.AddRange(["x", "x", "x", "", "", "", "past_k"]);
        fused.Output.Add("fused_out");
        proto.Graph.Node.Add(fused);
        var graph = new OnnxAttentionGraph(OnnxModel.Parse(proto.ToByteArray()));
        Assert.Single(graph.Blocks);
        Assert.Contains(graph.Refused, r => r.Contains("com.microsoft.MultiHeadAttention node 'mha'"));

        var sub = new GraphProto { Name = "then" };
        sub.Node.Add(new NodeProto { OpType = "Softmax", Input = { "x" }, Output = { "s" } });
        var ifNode = new NodeProto { OpType = "If", Name = "merged_decoder", Input = { "c" }, Output = { "r" } };
        ifNode.Attribute.Add(new AttributeProto
        {
            Name = "then_branch", G = sub, Type = AttributeProto.Types.AttributeType.Graph,
        });
        proto.Graph.Node.Add(ifNode);
        graph = new OnnxAttentionGraph(OnnxModel.Parse(proto.ToByteArray()));
        Assert.Contains(graph.Refused,
            r => r.Contains("1 softmax node(s) inside the subgraphs of If node 'merged_decoder'"));
    }

    [Fact]
    public void Int32TokenIds_Float16Weights_AndExternalData_GiveTheEagerMetrics()
    {
        // embedding lookup with int32 ids in front of the block; the same with int64 ids is the reference
        int vocab = 11;
        var emb = new double[vocab * AttentionStyles.C];
        new Rng(4).FillGaussian(emb, 0, 1);
        byte[] Build(int idType)
        {
            var g = new OnnxGraphBuilder();
            g.Input("ids", idType, [1, AttentionStyles.N]);
            string x = g.Node("Gather", [g.Floats("E", [vocab, AttentionStyles.C], emb), "ids"]);
            g.Output(AttentionStyles.Block(g, AttentionStyle.Eager, W, x, 1));
            return g.Bytes();
        }
        var ids = new DenseTensor<float>(new float[] { 1, 5, 2, 9, 0, 7 }, [1, AttentionStyles.N]);
        var ref64 = Extract(Build(OnnxGraphBuilder.Int64), new() { ["ids"] = ids }, "ids64");
        var got32 = Extract(Build(OnnxGraphBuilder.Int32), new() { ["ids"] = ids }, "ids32");
        AssertSameMetrics(Audit(ref64), Audit(got32));

        // external data: the eager model with its weights in a side file
        var proto = ModelProto.Parser.ParseFrom(AttentionStyles.Model(AttentionStyle.Eager, W));
        string ext = Path.Combine(_dir, "ext");
        Directory.CreateDirectory(ext);
        using (var side = File.Create(Path.Combine(ext, "weights.bin")))
            foreach (var t in proto.Graph.Initializer.Where(t => t.HasRawData && t.RawData.Length > 64))
            {
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = side.Position.ToString() });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString() });
                t.DataLocation = TensorProto.Types.DataLocation.External;
                side.Write(t.RawData.Span);
                t.ClearRawData();
            }
        File.WriteAllBytes(Path.Combine(ext, "model.onnx"), proto.ToByteArray());
        using (var ex = new OnnxAttentionExtractor(Path.Combine(ext, "model.onnx")))
        {
            var got = ex.Extract(Feeds(AttentionStyle.Eager), "x");
            var eager = Extract(AttentionStyles.Model(AttentionStyle.Eager, W), Feeds(AttentionStyle.Eager),
                "eager_ref");
            AssertSameMetrics(Audit(eager), Audit(got));
        }
        File.Delete(Path.Combine(ext, "weights.bin"));
        var missing = Assert.Throws<FileNotFoundException>(
            () => new OnnxAttentionExtractor(Path.Combine(ext, "model.onnx")));
        Assert.Contains("weights.bin", missing.Message);
    }

    [Theory]
    [InlineData(OnnxGraphBuilder.Float16)]
    [InlineData(OnnxGraphBuilder.BFloat16)]
    public void HalfPrecisionModel_PassesItsLogitCheckAndIsCloseToTheFloat32Metrics(int inputType)
    {
        var proto = ModelProto.Parser.ParseFrom(AttentionStyles.Model(AttentionStyle.QuarterPowerSplit, W));
        // weights stored as float16 and cast to float32 in the graph (the common "fp16 weights" export)
        var weights = proto.Graph.Initializer.Where(t => t.DataType == OnnxGraphBuilder.Float && t.Dims.Count > 0);
        foreach (var t in weights.ToList())
        {
            var v = OnnxModel.Decode(t, int.MaxValue)!;
            var raw = new byte[v.Length * 2];
            for (int i = 0; i < v.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(2 * i), (Half)v[i]);
            string old = t.Name;
            t.Name = old + "_fp16"; t.DataType = OnnxGraphBuilder.Float16; t.RawData = ByteString.CopyFrom(raw);
            proto.Graph.Node.Insert(0, OnnxGraphBuilder.CastToFloat(t.Name, old));
        }
        // a float16 or bfloat16 model input
        proto.Graph.Input[0].Type.TensorType.ElemType = inputType;
        proto.Graph.Node.Insert(0, OnnxGraphBuilder.CastToFloat("x16", "x"));
        proto.Graph.Input[0].Name = "x16";
        var got = Extract(proto.ToByteArray(), new() { ["x16"] = Input(1, 5) }, "fp16");
        var eager = Extract(AttentionStyles.Model(AttentionStyle.Eager, W), Feeds(AttentionStyle.Eager), "eager32");
        Assert.Equal(AttentionStyles.H, got.Heads.Count);
        Assert.All(got.Heads, h => Assert.True(h.LogitError < 1e-5));
        AssertSameMetrics(Audit(eager), Audit(got), 2e-2);
    }

    [Fact]
    public void UnknownFields_SurviveLoadAddOutputsSave()
    {
        var bytes = AttentionStyles.Model(AttentionStyle.Eager, W);
        // ModelProto field 20 (training_info) and GraphProto field 15 (sparse_initializer) are not in our .proto
        var unknownModel = new byte[] { 0xA2, 0x01, 0x03, 0x0A, 0x01, 0x7A }; // field 20, LEN 3: {field 1: "z"}
        var withUnknown = bytes.Concat(unknownModel).ToArray();
        var m = OnnxModel.Parse(withUnknown);
        var saved = m.WithExtraOutputs(["matmul_0"]);
        var again = ModelProto.Parser.ParseFrom(saved);
        Assert.Contains(again.Graph.Output, o => o.Name == "matmul_0");
        Assert.True(saved.AsSpan().IndexOf(unknownModel) >= 0, "unknown ModelProto field lost");
        // and the original message is unchanged after saving
        Assert.Equal(withUnknown.Length, m.Proto.CalculateSize());
    }
}
