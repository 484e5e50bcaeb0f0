using AttentionSpectra.Studies.KernelPcaAudit;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

/// <summary>Greedy CTC decoding of a PaddleOCR recogniser's output: a check that an input (e.g. rendered text)
/// is in distribution, i.e. the model actually reads it, before auditing its attention.</summary>
public static class PaddleOcr
{
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
