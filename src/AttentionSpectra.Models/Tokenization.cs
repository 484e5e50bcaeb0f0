using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AttentionSpectra.Numerics;
using Microsoft.ML.Tokenizers;

namespace AttentionSpectra.Models;

/// <summary>Tokenizer families read by <see cref="TextTokenizer"/>.</summary>
public enum TokenizerKind
{
    /// <summary>BERT WordPiece (vocab.txt, or tokenizer.json with a WordPiece model).</summary>
    WordPiece,
    /// <summary>Byte-level BPE as in GPT-2 and RoBERTa (vocab.json + merges.txt, or tokenizer.json).</summary>
    ByteLevelBpe,
    /// <summary>Character-level BPE from a tokenizer.json without a byte-level pre-tokenizer.</summary>
    Bpe,
    /// <summary>SentencePiece model (.model protobuf; Unigram or BPE).</summary>
    SentencePiece,
}

/// <summary>Model inputs for one text: token ids (with the model's special tokens), attention mask and token types,
/// all of the same length.</summary>
/// <param name="Ids">Token ids, framed by the tokenizer's special tokens (e.g. [CLS] … [SEP]).</param>
/// <param name="AttentionMask">1 for every token (a single unpadded sequence).</param>
/// <param name="TokenTypeIds">0 for every token (a single segment).</param>
public sealed record TokenizedText(int[] Ids, int[] AttentionMask, int[] TokenTypeIds);

/// <summary>A text tokenizer for transformer inputs, built on Microsoft.ML.Tokenizers: WordPiece/BERT, byte-level
/// BPE (GPT-2/RoBERTa) and SentencePiece (Unigram/BPE). It adds the special tokens the model family expects and
/// knows which vocabulary entries are ordinary tokens (not special, control, byte-fallback or unused).</summary>
public sealed class TextTokenizer
{
    private static readonly Regex SpecialPattern = new(@"^(\[.*\]|<.*>|<\|.*\|>)$", RegexOptions.CultureInvariant);
    private readonly Tokenizer _tokenizer;
    private readonly int[] _prefix, _suffix;
    private readonly int[] _ordinary;

    /// <summary>Which tokenizer family this is.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>The file the tokenizer was read from.</summary>
    public string Source { get; }

    /// <summary>Number of vocabulary entries (largest id + 1).</summary>
    public int VocabSize { get; }

    /// <summary>Number of ordinary vocabulary entries (what random inputs draw from).</summary>
    public int OrdinaryCount => _ordinary.Length;

    /// <summary>Ids added before the text (e.g. [CLS] or &lt;s&gt;).</summary>
    public IReadOnlyList<int> PrefixIds => _prefix;

    /// <summary>Ids added after the text (e.g. [SEP] or &lt;/s&gt;).</summary>
    public IReadOnlyList<int> SuffixIds => _suffix;

    private TextTokenizer(Tokenizer tokenizer, TokenizerKind kind, string source, IReadOnlyDictionary<string,
        int> vocab,
        int[] prefix, int[] suffix, ISet<int>? special = null)
    {
        _tokenizer = tokenizer; Kind = kind; Source = source; _prefix = prefix; _suffix = suffix;
        VocabSize = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        var excluded = new HashSet<int>(prefix.Concat(suffix));
        if (special != null) excluded.UnionWith(special);
        _ordinary = vocab.Where(kv => !excluded.Contains(kv.Value) && !SpecialPattern.IsMatch(kv.Key))
            .Select(kv => kv.Value).Distinct().Order().ToArray();
        if (_ordinary.Length == 0) throw new InvalidDataException($"{source}: the vocabulary has no ordinary tokens.");
    }

    /// <summary>Encode <paramref name="text"/> to model inputs, adding the family's special tokens.</summary>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    public TokenizedText Encode(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("The text must not be empty.", nameof(text));
        var body = _tokenizer is BertTokenizer bert
            ? bert.EncodeToIds(text, addSpecialTokens: false)
            : _tokenizer.EncodeToIds(text);
        return Frame([.. _prefix, .. body, .. _suffix]);
    }

    /// <summary>A random input of <paramref name="length"/> tokens in total: ordinary ids drawn uniformly (seeded),
    /// framed by the family's special tokens as <see cref="Encode"/> frames a text.</summary>
    /// <exception cref="ArgumentException">The length leaves no room for ordinary tokens.</exception>
    public TokenizedText RandomInput(Rng rng, int length)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int body = length - _prefix.Length - _suffix.Length;
        if (body < 1)
            throw new ArgumentException($"length {length} leaves no room for ordinary tokens after the special tokens.",
                nameof(length));
        var ids = new int[length];
        _prefix.CopyTo(ids, 0);
        for (int i = 0; i < body; i++) ids[_prefix.Length + i] = _ordinary[rng.NextInt(_ordinary.Length)];
        _suffix.CopyTo(ids, _prefix.Length + body);
        return Frame(ids);
    }

    /// <summary>True when <paramref name="id"/> is an ordinary (non-special) vocabulary entry.</summary>
    public bool IsOrdinary(int id) => Array.BinarySearch(_ordinary, id) >= 0;

    /// <summary>A one-line description for notes, e.g. "WordPiece tokenizer vocab.txt (30522 entries)".</summary>
    public string Describe()
        => $"{Kind} tokenizer {Path.GetFileName(Source)} ({VocabSize} entries, {OrdinaryCount} ordinary)";

    private static TokenizedText Frame(int[] ids) => new(ids, Enumerable.Repeat(1, ids.Length).ToArray(),
        new int[ids.Length]);

    /// <summary>File names looked for next to a model, in order.</summary>
    public static readonly IReadOnlyList<string> KnownFileNames =
        ["tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model",
         "spm.model"];

    /// <summary>The tokenizer file next to <paramref name="modelPath"/> (first of <see cref="KnownFileNames"/>
    /// present in its directory), or null.</summary>
    public static string? FindNextTo(string modelPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        return KnownFileNames.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
    }

    /// <summary>Read a tokenizer file: <c>vocab.txt</c> (WordPiece, lower-cased as the uncased BERT models),
    /// <c>tokenizer.json</c> (Hugging Face; WordPiece or BPE models), <c>vocab.json</c> with <c>merges.txt</c> in the
    /// same directory (byte-level BPE), or a SentencePiece <c>.model</c>.</summary>
    /// <param name="path">The tokenizer file.</param>
    /// <exception cref="FileNotFoundException">The file (or the merges file a vocab.json needs) is missing.</exception>
    /// <exception cref="InvalidDataException">The file is not a tokenizer this class reads.</exception>
    public static TextTokenizer FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        string name = Path.GetFileName(path).ToLowerInvariant();
        try
        {
            if (name.EndsWith(".model", StringComparison.Ordinal)) return SentencePiece(path);
            if (name.EndsWith(".txt", StringComparison.Ordinal)) return WordPiece(File.ReadAllBytes(path), path, true,
                null);
            if (name.EndsWith(".json", StringComparison.Ordinal))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model", out _))
                    return HuggingFace(doc.RootElement, path);
                string merges = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "merges.txt");
                if (!File.Exists(merges))
                    throw new FileNotFoundException(
                        $"{path} is a BPE vocabulary; its merges.txt was not found beside it.", merges);
                return ByteLevelBpe(File.ReadAllBytes(path), File.ReadAllBytes(merges), path);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException
                                      or InvalidOperationException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"{path}: not a readable tokenizer ({e.Message})", e);
        }
        throw new InvalidDataException(
            $"{path}: unknown tokenizer file; expected vocab.txt, tokenizer.json, vocab.json (+ merges.txt) "
            + "or a SentencePiece .model.");
    }

    /// <summary>A WordPiece tokenizer from <c>vocab.txt</c> lines (line index = id), framed [CLS] … [SEP].</summary>
    /// <param name="lines">The vocabulary lines.</param>
    /// <param name="lowerCase">Lower-case the text first (uncased models).</param>
    /// <param name="source">Name used in messages.</param>
    public static TextTokenizer FromWordPieceVocabulary(IEnumerable<string> lines, bool lowerCase = true,
        string source = "vocab.txt")
    {
        ArgumentNullException.ThrowIfNull(lines);
        return WordPiece(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"), source, lowerCase, null);
    }

    private static TextTokenizer WordPiece(byte[] vocabText, string source, bool lowerCase, string? unk)
    {
        var options = new BertOptions { LowerCaseBeforeTokenization = lowerCase };
        if (unk != null) options.UnknownToken = unk;
        using var ms = new MemoryStream(vocabText);
        var bert = BertTokenizer.Create(ms, options);
        var vocab = new Dictionary<string, int>();
        var lines = Encoding.UTF8.GetString(vocabText).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string t = lines[i].TrimEnd('\r');
            if (t.Length > 0 || i < lines.Length - 1) vocab.TryAdd(t, i);
        }
        return new TextTokenizer(bert, TokenizerKind.WordPiece, source, vocab,
            [bert.ClassificationTokenId], [bert.SeparatorTokenId], new HashSet<int> { bert.PaddingTokenId,
                bert.MaskingTokenId, vocab.GetValueOrDefault(bert.UnknownToken, -1) });
    }

    /// <summary>GPT-2's pre-tokenizer pattern (contractions, letters, digits, other symbols, whitespace
    /// runs).</summary>
    private static readonly Regex Gpt2Split = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant);

    private static TextTokenizer ByteLevelBpe(byte[] vocabJson, byte[] mergesText, string source,
        (int[] Prefix, int[] Suffix)? framing = null, ISet<int>? special = null) =>
        Bpe(vocabJson, mergesText, source, byteLevel: true, unk: null, framing, special);

    private static TextTokenizer Bpe(byte[] vocabJson, byte[] mergesText, string source, bool byteLevel, string? unk,
        (int[] Prefix, int[] Suffix)? framing, ISet<int>? special)
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson)
                    ?? throw new InvalidDataException($"{source}: empty BPE vocabulary.");
        var merges = Encoding.UTF8.GetString(mergesText).Split('\n')
            .Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("#version",
                StringComparison.Ordinal));
        var options = new BpeOptions(vocab)
        {
            Merges = merges, ByteLevel = byteLevel, UnknownToken = unk,
            PreTokenizer = byteLevel ? new RegexPreTokenizer(Gpt2Split, null) : PreTokenizer.CreateWordOrNonWord(),
        };
        var tok = BpeTokenizer.Create(options);
        // RoBERTa-style vocabularies frame a sequence as <s> … </s>; GPT-2 adds nothing.
        var frame = framing ?? (vocab.TryGetValue("<s>", out int bos) && vocab.TryGetValue("</s>", out int eos)
            ? ([bos], [eos]) : ([], []));
        return new TextTokenizer(tok, byteLevel ? TokenizerKind.ByteLevelBpe : TokenizerKind.Bpe, source, vocab,
            frame.Item1, frame.Item2, special);
    }

    private static TextTokenizer SentencePiece(string path)
    {
        SentencePieceTokenizer sp;
        using (var fs = File.OpenRead(path)) sp = SentencePieceTokenizer.Create(fs, addBeginningOfSentence: false,
            addEndOfSentence: false);
        var vocab = sp.Vocabulary;
        // ALBERT-style models carry [CLS]/[SEP]; the others start with the beginning-of-sentence piece (Llama-style).
        (int[], int[]) frame = vocab.TryGetValue("[CLS]", out int cls) && vocab.TryGetValue("[SEP]", out int sep)
            ? ([cls], [sep])
            : sp.BeginningOfSentenceId >= 0 ? ([sp.BeginningOfSentenceId], []) : ([], []);
        var special = new HashSet<int> { sp.BeginningOfSentenceId, sp.EndOfSentenceId, sp.UnknownId };
        return new TextTokenizer(sp, TokenizerKind.SentencePiece, path, vocab, frame.Item1, frame.Item2, special);
    }

    private static TextTokenizer HuggingFace(JsonElement root, string path)
    {
        var model = root.GetProperty("model");
        string type = Str(model, "type") ?? "";
        var special = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var a in added.EnumerateArray())
                if (a.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True)
                    special.Add(a.GetProperty("id").GetInt32());
        var vocabEl = model.GetProperty("vocab");
        bool wordPieceShape = model.TryGetProperty("continuing_subword_prefix", out _)
                              && !model.TryGetProperty("merges", out _);
        if (type == "WordPiece" || (type == "" && wordPieceShape))
        {
            var pairs = vocabEl.EnumerateObject().Select(p => (p.Name, Id: p.Value.GetInt32())).OrderBy(p => p.Id)
                .ToList();
            var lines = new string[pairs.Count == 0 ? 0 : pairs[^1].Id + 1];
            for (int i = 0; i < lines.Length; i++) lines[i] = $"[unused-gap-{i}]";
            foreach (var (n, id) in pairs) lines[id] = n;
            bool lower = !(root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object
                           && norm.TryGetProperty("lowercase", out var lc) && lc.ValueKind == JsonValueKind.False);
            var tok = WordPiece(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"), path, lower,
                Str(model, "unk_token"));
            return special.Count == 0 ? tok : new TextTokenizer(tok._tokenizer, tok.Kind, path,
                pairs.ToDictionary(p => p.Name, p => p.Id), tok._prefix, tok._suffix, special);
        }
        if (type == "BPE")
        {
            var vocabJson = Encoding.UTF8.GetBytes(vocabEl.GetRawText());
            var merges = new StringBuilder("#version: 0.2\n");
            foreach (var mg in model.GetProperty("merges").EnumerateArray())
                merges.Append(mg.ValueKind == JsonValueKind.Array
                    ? $"{mg[0].GetString()} {mg[1].GetString()}" : mg.GetString()).Append('\n');
            var mergeBytes = Encoding.UTF8.GetBytes(merges.ToString());
            var frame = PostProcessorFraming(root, vocabEl);
            return Bpe(vocabJson, mergeBytes, path, IsByteLevel(root), Str(model, "unk_token"), frame, special);
        }
        throw new InvalidDataException(
            $"{path}: tokenizer.json model type '{type}' is not supported (WordPiece and BPE are; "
            + "for Unigram give the SentencePiece .model file).");
    }

    private static bool IsByteLevel(JsonElement root)
    {
        static bool Has(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => Str(e, "type") == "ByteLevel" || e.EnumerateObject().Any(p => Has(p.Value)),
            JsonValueKind.Array => e.EnumerateArray().Any(Has),
            _ => false,
        };
        return (root.TryGetProperty("pre_tokenizer", out var p) && Has(p))
               || (root.TryGetProperty("decoder", out var d) && Has(d));
    }

    /// <summary>The string property <paramref name="name"/> of <paramref name="e"/>, or null.</summary>
    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Special tokens a tokenizer.json post-processor puts around a single sequence.</summary>
    private static (int[] Prefix, int[] Suffix)? PostProcessorFraming(JsonElement root, JsonElement vocab)
    {
        if (!root.TryGetProperty("post_processor", out var pp) || pp.ValueKind != JsonValueKind.Object) return null;
        string type = pp.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type is "BertProcessing" or "RobertaProcessing")
            return ([pp.GetProperty("cls")[1].GetInt32()], [pp.GetProperty("sep")[1].GetInt32()]);
        if (type == "TemplateProcessing" && pp.TryGetProperty("single", out var single))
        {
            var pre = new List<int>(); var post = new List<int>(); bool seen = false;
            foreach (var piece in single.EnumerateArray())
            {
                if (piece.TryGetProperty("Sequence", out _)) { seen = true; continue; }
                if (!piece.TryGetProperty("SpecialToken", out var st)) continue;
                string id = st.GetProperty("id").GetString()!;
                int tokenId = pp.TryGetProperty("special_tokens", out var sts) && sts.TryGetProperty(id, out var e)
                    ? e.GetProperty("ids")[0].GetInt32() : vocab.GetProperty(id).GetInt32();
                (seen ? post : pre).Add(tokenId);
            }
            return ([.. pre], [.. post]);
        }
        return null;
    }
}

/// <summary>Resolution of text-model inputs for the audit: built-in model names and their tokenizers.</summary>
public static class TextModels
{
    /// <summary>Directory where built-in models are written for components that read files: environment variable
    /// ATTNSPEC_CACHE if set, else the user's local application-data folder, else the temporary folder.</summary>
    public static string BuiltinCacheDirectory(string model)
    {
        var root = Environment.GetEnvironmentVariable("ATTNSPEC_CACHE");
        if (string.IsNullOrEmpty(root))
        {
            var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            root = string.IsNullOrEmpty(local) ? Path.Combine(Path.GetTempPath(), "attnspec") : Path.Combine(local,
                "attnspec");
        }
        return Path.Combine(root, "models", model.ToLowerInvariant());
    }

    /// <summary>If <paramref name="model"/> names a built-in model, write it to the cache (once) and return the model
    /// file with its tokenizer; otherwise return the arguments unchanged.</summary>
    /// <param name="model">A model path or a built-in name.</param>
    /// <param name="tokenizer">An explicit tokenizer file (kept when given).</param>
    public static (string Model, string? Tokenizer) ResolveBuiltin(string model, string? tokenizer)
    {
        if (!BuiltinModels.IsBuiltin(model) || File.Exists(model)) return (model, tokenizer);
        string path = BuiltinModels.MaterializeMiniLm(BuiltinCacheDirectory(model));
        return (path, tokenizer ?? Path.Combine(Path.GetDirectoryName(path)!, "vocab.txt"));
    }

    /// <summary>The tokenizer for a model: <paramref name="tokenizer"/> when given, else one found next to the model,
    /// else null.</summary>
    public static TextTokenizer? Load(string modelPath, string? tokenizer) =>
        tokenizer != null ? TextTokenizer.FromFile(tokenizer)
        : TextTokenizer.FindNextTo(modelPath) is { } found ? TextTokenizer.FromFile(found) : null;

    /// <summary>Error message for text given to a text model without a tokenizer.</summary>
    public static string MissingTokenizerMessage(string modelPath) =>
        "text inputs need a tokenizer: none was given and none was found next to "
        + $"{Path.GetFileName(modelPath)} (looked for "
        + string.Join(", ", TextTokenizer.KnownFileNames) + "); pass a tokenizer file, or token ids in a .txt file.";
}

/// <summary>Token-id inputs for the audit runner, from texts (through a tokenizer) or seeded random draws.</summary>
internal static class TextInputs
{
    /// <summary>Ids of <paramref name="text"/>; an <see cref="ArgumentException"/> if no tokenizer is known.</summary>
    public static int[] TokenIds(TextTokenizer? tokenizer, string modelPath, string text) =>
        (tokenizer ?? throw new ArgumentException(TextModels.MissingTokenizerMessage(modelPath))).Encode(text).Ids;

    /// <summary>A random id sequence of <paramref name="length"/> tokens: ordinary vocabulary entries framed by the
    /// special tokens when the tokenizer is known, else uniform over <paramref name="vocabSize"/> ids (or 1000 when
    /// that is unknown too). Adds a note saying which.</summary>
    public static int[] RandomIds(TextTokenizer? tokenizer, Rng rng, int length, int? vocabSize, List<string> notes)
    {
        if (tokenizer != null && length > tokenizer.PrefixIds.Count + tokenizer.SuffixIds.Count)
        {
            notes.Add($"random token ids: drawn uniformly from the {tokenizer.OrdinaryCount} ordinary entries of the "
                      + $"{tokenizer.Describe()} (no special or unused tokens), framed by its special tokens");
            return tokenizer.RandomInput(rng, length).Ids;
        }
        int v = vocabSize ?? 1000;
        notes.Add(vocabSize is null
            ? "random token ids: no tokenizer and no vocabulary size known, ids drawn uniformly from [0, 1000) "
              + "(special tokens included)"
            : $"random token ids: no tokenizer known, ids drawn uniformly from all {v} embedding rows "
              + "(special and unused tokens included)");
        var ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = rng.NextInt(v);
        return ids;
    }

    /// <summary>A [1, n] tensor of the ids (float-valued; converted to the model's integer type when fed).</summary>
    public static Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float> IdTensor(int[] ids)
    {
        var t = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>([1, ids.Length]);
        for (int k = 0; k < ids.Length; k++) t[0, k] = ids[k];
        return t;
    }
}
