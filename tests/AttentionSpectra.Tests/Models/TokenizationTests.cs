using System.Text;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Models;

/// <summary>Text inputs for text models: the three tokenizer families on files written here (BERT's real uncased
/// vocabulary from the MiniLM package; small BPE and SentencePiece models made by hand), and the ids, attention mask
/// and token types fed to the built-in MiniLM.</summary>
public sealed class TokenizationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "attnspec-tok-" + Guid.NewGuid().ToString("N"));

    public TokenizationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllText(p, text, new UTF8Encoding(false));
        return p;
    }

    [Fact]
    public void BertUncasedVocabTxt_HelloWorld_IsClsHelloWorldSep()
    {
        var vocab = BuiltinModels.MiniLmVocabulary();
        var tok = TextTokenizer.FromFile(Write("vocab.txt", string.Join("\n", vocab) + "\n"));
        Assert.Equal(TokenizerKind.WordPiece, tok.Kind);
        var t = tok.Encode("Hello world");
        Assert.Equal([101, 7592, 2088, 102], t.Ids);
        Assert.Equal([1, 1, 1, 1], t.AttentionMask);
        Assert.Equal([0, 0, 0, 0], t.TokenTypeIds);
        // Sub-words and punctuation against an independent greedy longest-match-first WordPiece (BERT's algorithm).
        const string text = "Tokenization, unaffable! Spectral ANALYSIS of attention-heads";
        var ids = tok.Encode(text).Ids;
        Assert.Equal(GreedyWordPiece(vocab, text), ids);
        Assert.Contains(ids, i => vocab[i].StartsWith("##", StringComparison.Ordinal));
    }

    /// <summary>Lower-case, split on whitespace and punctuation, then longest-prefix matching with "##"
    /// continuations.</summary>
    private static int[] GreedyWordPiece(string[] vocab, string text)
    {
        var index = vocab.Select((v, i) => (v, i)).GroupBy(p => p.v).ToDictionary(g => g.Key, g => g.First().i);
        var words = System.Text.RegularExpressions.Regex.Matches(text.ToLowerInvariant(),
            @"\w+|[^\w\s]").Select(m => m.Value);
        var ids = new List<int> { index["[CLS]"] };
        foreach (var w in words)
        {
            for (int start = 0; start < w.Length;)
            {
                int end = w.Length;
                while (end > start && !index.ContainsKey((start > 0 ? "##" : "") + w[start..end])) end--;
                Assert.True(end > start, $"no piece for {w}");
                ids.Add(index[(start > 0 ? "##" : "") + w[start..end]]);
                start = end;
            }
        }
        ids.Add(index["[SEP]"]);
        return [.. ids];
    }

    [Fact]
    public void TokenizerJson_WordPiece_GivesTheSameIdsAsVocabTxt()
    {
        var vocab = BuiltinModels.MiniLmVocabulary();
        var entries = string.Join(",", vocab.Select((v, i) => $"{Json(v)}:{i}"));
        string json = "{\"added_tokens\":[{\"id\":0,\"content\":\"[PAD]\",\"special\":true}],"
                      + "\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":true},"
                      + "\"post_processor\":{\"type\":\"TemplateProcessing\","
                      + "\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
                      + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
                      + "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],"
                      + "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[101]},"
                      + "\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[102]}}},"
                      + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\","
                      + "\"continuing_subword_prefix\":\"##\",\"vocab\":{" + entries + "}}}";
        var tok = TextTokenizer.FromFile(Write("tokenizer.json", json));
        Assert.Equal(TokenizerKind.WordPiece, tok.Kind);
        Assert.Equal([101, 7592, 2088, 102], tok.Encode("hello world").Ids);
        Assert.Equal(30522, tok.VocabSize);
    }

    private static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    // Byte-level BPE (GPT-2/RoBERTa): 'Ġ' stands for the space byte. Merges build "hello" and "Ġworld" only.
    private const string BpeVocab = "{\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,"
        + "\"h\":4,\"e\":5,\"l\":6,\"o\":7,\"w\":8,"
        + "\"r\":9,\"d\":10,\"\\u0120\":11,\"he\":12,\"ll\":13,\"hell\":14,\"hello\":15,\"\\u0120w\":16,\"or\":17,"
        + "\"\\u0120wor\":18,\"\\u0120worl\":19,\"\\u0120world\":20}";
    private const string BpeMerges =
        "#version: 0.2\nh e\nl l\nhe ll\nhell o\n\u0120 w\no r\n\u0120w or\n\u0120wor l\n\u0120worl d\n";

    [Fact]
    public void ByteLevelBpe_VocabJsonAndMerges_MergesWordsAndFramesRobertaStyle()
    {
        Write("merges.txt", BpeMerges);
        var tok = TextTokenizer.FromFile(Write("vocab.json", BpeVocab));
        Assert.Equal(TokenizerKind.ByteLevelBpe, tok.Kind);
        Assert.Equal([0, 15, 20, 2], tok.Encode("hello world").Ids);
        // "low" has no merges: three single-byte pieces; " hell" stops at the merges it has.
        Assert.Equal([0, 6, 7, 8, 2], tok.Encode("low").Ids);
        Assert.Equal([0, 14, 11, 12, 2], tok.Encode("hell he").Ids);
        // GPT-2 style (no <s>, </s> in the vocabulary): no framing.
        var gpt2Dir = Path.Combine(_dir, "gpt2");
        Directory.CreateDirectory(gpt2Dir);
        File.WriteAllText(Path.Combine(gpt2Dir, "merges.txt"), BpeMerges);
        string vocab2 = BpeVocab.Replace("\"<s>\":0,\"<pad>\":1,\"</s>\":2,\"<unk>\":3,", "\"<|endoftext|>\":3,");
        File.WriteAllText(Path.Combine(gpt2Dir, "vocab.json"), vocab2);
        var gpt2 = TextTokenizer.FromFile(Path.Combine(gpt2Dir, "vocab.json"));
        Assert.Equal([15, 20], gpt2.Encode("hello world").Ids);
        Assert.False(gpt2.IsOrdinary(3));
    }

    [Fact]
    public void ByteLevelBpe_TokenizerJson_MatchesVocabJsonAndMerges()
    {
        var merges = BpeMerges.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(Json);
        string json = "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},"
                      + "\"post_processor\":{\"type\":\"RobertaProcessing\",\"sep\":[\"</s>\",2],\"cls\":[\"<s>\",0]},"
                      + "\"model\":{\"type\":\"BPE\",\"vocab\":" + BpeVocab + ",\"merges\":[" + string.Join(",",
                          merges) + "]}}";
        var tok = TextTokenizer.FromFile(Write("tokenizer.json", json));
        Assert.Equal(TokenizerKind.ByteLevelBpe, tok.Kind);
        Assert.Equal([0, 15, 20, 2], tok.Encode("hello world").Ids);
    }

    [Fact]
    public void SentencePieceUnigram_ModelFile_PicksTheBestScoringSegmentation()
    {
        // pieces: 0 <unk> (UNKNOWN), 1 <s>, 2 </s> (CONTROL), then normal pieces with log-probability scores.
        var pieces = new (string Piece, float Score, int Type)[]
        {
            ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("\u2581hello", -2, 1), ("\u2581world", -2, 1),
            ("\u2581", -3, 1), ("h", -4, 1), ("e", -4, 1), ("l", -4, 1), ("o", -4, 1), ("w", -4, 1), ("r", -4, 1),
            ("d", -4, 1), ("\u2581he", -3, 1), ("llo", -3, 1),
        };
        string path = Path.Combine(_dir, "spiece.model");
        File.WriteAllBytes(path, SentencePieceModel(pieces, modelType: 1));
        var tok = TextTokenizer.FromFile(path);
        Assert.Equal(TokenizerKind.SentencePiece, tok.Kind);
        // "▁hello" (-2) beats "▁he"+"llo" (-6) and single characters: [<s>, ▁hello, ▁world].
        Assert.Equal([1, 3, 4], tok.Encode("hello world").Ids);
        // "▁held": "▁he" + "l" + "d" (-11) beats "▁" + "h" + "e" + "l" + "d" (-19).
        Assert.Equal([1, 13, 8, 12], tok.Encode("held").Ids);
        Assert.False(tok.IsOrdinary(0));
        Assert.False(tok.IsOrdinary(2));
        Assert.True(tok.IsOrdinary(3));
    }

    /// <summary>A SentencePiece ModelProto (sentencepiece_model.proto): pieces (1), trainer_spec (2) with model_type
    /// (3), normalizer_spec (3) with name (1), add_dummy_prefix (3), remove_extra_whitespaces (4),
    /// escape_whitespaces (5).</summary>
    private static byte[] SentencePieceModel((string Piece, float Score, int Type)[] pieces, int modelType)
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            var p = new MemoryStream();
            Bytes(p, 1, Encoding.UTF8.GetBytes(piece));
            Tag(p, 2, 5); p.Write(BitConverter.GetBytes(score));
            Tag(p, 3, 0); Varint(p, (ulong)type);
            Bytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        Tag(trainer, 3, 0); Varint(trainer, (ulong)modelType);
        Tag(trainer, 4, 0); Varint(trainer, (ulong)pieces.Length);
        Bytes(model, 2, trainer.ToArray());
        var norm = new MemoryStream();
        Bytes(norm, 1, Encoding.UTF8.GetBytes("identity"));
        foreach (int f in new[] { 3, 4, 5 }) { Tag(norm, f, 0); Varint(norm, 1); }
        Bytes(model, 3, norm.ToArray());
        return model.ToArray();

        static void Tag(Stream s, int field, int wire) => Varint(s, (ulong)((field << 3) | wire));
        static void Bytes(Stream s, int field, byte[] b) { Tag(s, field, 2); Varint(s, (ulong)b.Length); s.Write(b); }
        static void Varint(Stream s, ulong v)
        {
            for (; v >= 0x80; v >>= 7) s.WriteByte((byte)(v | 0x80));
            s.WriteByte((byte)v);
        }
    }

    [Fact]
    public void RandomInputs_DrawOnlyOrdinaryBertTokens_FramedAndSeeded()
    {
        var vocab = BuiltinModels.MiniLmVocabulary();
        var tok = TextTokenizer.FromWordPieceVocabulary(vocab);
        // bert-base-uncased: ids 0-998 are [PAD], [unusedK], [UNK], [CLS], [SEP], [MASK]; 999 is the first real token.
        Assert.Equal(30522 - 999, tok.OrdinaryCount);
        var a = tok.RandomInput(new Rng(7), 200);
        Assert.Equal(101, a.Ids[0]);
        Assert.Equal(102, a.Ids[^1]);
        Assert.All(a.Ids[1..^1], id => Assert.InRange(id, 999, 30521));
        Assert.Equal(a.Ids, tok.RandomInput(new Rng(7), 200).Ids);
        Assert.NotEqual(a.Ids, tok.RandomInput(new Rng(8), 200).Ids);
        Assert.Throws<ArgumentException>(() => tok.RandomInput(new Rng(1), 2));
    }

    [Fact]
    public void MiniLm_TextInputs_FeedIdsMaskAndTokenTypes_AndAudit()
    {
        var (model, vocab) = TextModels.ResolveBuiltin(BuiltinModels.MiniLm, null);
        Assert.True(File.Exists(model) && File.Exists(vocab));
        var req = new AuditRequest(model, ModelFormat.Onnx, Texts: ["hello world"]);
        var tokenizer = new Lazy<TextTokenizer?>(() => TextModels.Load(model, null));
        using (var ex = new OnnxAttentionExtractor(model))
        {
            var feeds = AuditRunner.OnnxFeeds(ex, req, 0, new Rng(1), tokenizer, []).Single().Item2;
            Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], feeds.Keys.Order());
            Assert.Equal([101f, 7592, 2088, 102], feeds["input_ids"].ToArray());
            Assert.Equal([1f, 1, 1, 1], feeds["attention_mask"].ToArray());
            Assert.Equal([0f, 0, 0, 0], feeds["token_type_ids"].ToArray());
        }
        // The built-in name audits end to end: 4 tokens, block 0, heads 0-1.
        var r = AuditRunner.Run(new AuditRequest(BuiltinModels.MiniLm, Texts: ["hello world"], RandomInputs: 1,
            Layers: new HashSet<int> { 0 }, Heads: new HashSet<int> { 0, 1 }, Tokens: 16), new Rng(3));
        Assert.Equal("minilm", r.Model);
        Assert.Equal(6, r.LayerCount);
        Assert.Equal(4, r.Heads.Count);
        Assert.Contains(r.Notes, n => n.Contains("ordinary entries", StringComparison.Ordinal));
    }

    [Fact]
    public void TextModelWithoutTokenizer_TextIsRefused_RandomIdsSaySo()
    {
        var (model, _) = TextModels.ResolveBuiltin(BuiltinModels.MiniLm, null);
        string bare = Path.Combine(_dir, "bare.onnx");
        File.CreateSymbolicLink(bare, model);
        var e = Assert.Throws<ArgumentException>(() =>
            AuditRunner.Run(new AuditRequest(bare, Texts: ["hello"], Layers: new HashSet<int> { 0 }), new Rng(1)));
        Assert.Contains("need a tokenizer", e.Message);
        var r = AuditRunner.Run(new AuditRequest(bare, RandomInputs: 1, Tokens: 8, Layers: new HashSet<int> { 0 },
            Heads: new HashSet<int> { 0 }), new Rng(1));
        Assert.Contains(r.Notes, n => n.Contains("no tokenizer", StringComparison.Ordinal));
    }

    [Fact]
    public void Cli_KpcaAuditMiniLmText_Works()
    {
        var r = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), "kpca", "audit", "--model", "minilm", "--text",
            "hello world", "--layers", "0", "--heads", "0", "--null-perms", "0", "--out", Path.Combine(_dir, "out"));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "kpca", "audit-summary.json")), r.All);
        var e = Assert.Throws<FileNotFoundException>(() => TextModels.Load("model.onnx", Path.Combine(_dir,
            "missing.txt")));
        Assert.Contains("missing.txt", e.Message);
    }
}
