using System.Text.Json;
using System.Text.Json.Serialization;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>One exported head: its files (relative to the index) and shapes.</summary>
/// <param name="Layer">0-based block.</param>
/// <param name="Head">0-based head.</param>
/// <param name="Input">Input label.</param>
/// <param name="Tokens">N.</param>
/// <param name="HeadDim">D.</param>
/// <param name="ValueDim">Dv.</param>
/// <param name="KpcaColumns">Real columns of V_KPCA (min(Dv, N - 1)); the file holds exactly these.</param>
/// <param name="Files">Tensor name (x, q, k, v, attention, v_kpca) to .npy path relative to the index file.</param>
/// <param name="Missing">Tensors not written, with the reason.</param>
public sealed record ExportedHead(int Layer, int Head, string Input, int Tokens, int HeadDim, int ValueDim,
    int KpcaColumns, IReadOnlyDictionary<string, string> Files, IReadOnlyDictionary<string, string> Missing);

/// <summary>The JSON index written next to the exported tensors.</summary>
/// <param name="Format">File format of every tensor.</param>
/// <param name="Convention">How the tensors relate (the kernel convention of the audit).</param>
/// <param name="Heads">One entry per (input, layer, head).</param>
public sealed record TensorExportIndex(string Format, string Convention, IReadOnlyList<ExportedHead> Heads);

/// <summary>Writes, per block and head, X, Q, K, V, the attention matrix and V_KPCA as NumPy .npy files (format
/// 1.0, little-endian float64, C order; readable by numpy.load) plus <c>index.json</c>.</summary>
public static class TensorExport
{
    /// <summary>File name of the index inside the export directory.</summary>
    public const string IndexFile = "index.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Export <paramref name="heads"/> into <paramref name="directory"/> (created if needed); returns the
    /// index, also written as <see cref="IndexFile"/>.</summary>
    public static TensorExportIndex Write(string directory, IReadOnlyList<CapturedHead> heads,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(heads);
        Directory.CreateDirectory(directory);
        var entries = new List<ExportedHead>();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int idx = 0; idx < heads.Count; idx++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var h = heads[idx];
            string sub = $"{Safe(h.Input)}/L{h.Layer:D2}-H{h.Head:D2}";
            if (!used.Add(sub)) sub += $"-{idx}";
            Directory.CreateDirectory(Path.Combine(directory, sub));
            var files = new SortedDictionary<string, string>();
            var missing = new SortedDictionary<string, string>();
            void Put(string name, Matrix m)
            {
                string rel = $"{sub}/{name}.npy";
                Npy.Write(Path.Combine(directory, rel), m);
                files[name] = rel;
            }
            if (h.X is { } x) Put("x", x);
            else missing["x"] = "the loader did not capture the block input for this model";
            Put("q", h.Q); Put("k", h.K); Put("v", h.V);
            Put("attention", KernelPca.AttentionWeights(h.Q, h.K));
            int comps = Math.Min(h.V.Cols, h.Tokens - 1);
            Put("v_kpca", KernelPca.Compute(h.Q, h.K, comps).VKpca);
            entries.Add(new ExportedHead(h.Layer, h.Head, h.Input, h.Tokens, h.HeadDim, h.V.Cols, comps, files, missing));
            progress.Report("export tensors", idx + 1, heads.Count);
        }
        var index = new TensorExportIndex("npy 1.0, <f8, C order",
            "attention = softmax(q k' / sqrt(D)) row-wise (the model's scale is folded into q); v_kpca = " +
            "diag(1/g(k)) (A - 1_N A) with A the top min(Dv, N-1) eigenvectors of the centred normalised key Gram " +
            "matrix, signs with the largest-magnitude entry positive", entries);
        File.WriteAllText(Path.Combine(directory, IndexFile), JsonSerializer.Serialize(index, Json));
        return index;
    }

    private static string Safe(string s)
    {
        var chars = s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        var r = new string(chars).Trim('.');
        return r.Length == 0 ? "input" : r;
    }
}
