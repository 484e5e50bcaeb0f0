using AttentionSpectra.Studies.KernelPcaAudit;
using AttentionSpectra.Numerics;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace AttentionSpectra.Models;

/// <summary>Pixel normalisation applied after scaling to [0, 1]: (x - mean) / std per channel.</summary>
public sealed record ImageNormalisation(double[] Mean, double[] Std)
{
    /// <summary>mean 0.5, std 0.5 (PaddleOCR recognisers, HF ViT).</summary>
    public static readonly ImageNormalisation Half = new([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    /// <summary>ImageNet statistics (timm/DeiT, torchvision).</summary>
    public static readonly ImageNormalisation ImageNet = new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    /// <summary>Plain [0, 1] pixels.</summary>
    public static readonly ImageNormalisation Unit = new([0, 0, 0], [1, 1, 1]);

    /// <summary>One of the named normalisations: <c>half</c>, <c>imagenet</c> or <c>unit</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static ImageNormalisation Parse(string s) => s.ToLowerInvariant() switch
    {
        "half" => Half, "imagenet" => ImageNet, "unit" => Unit,
        _ => throw new ArgumentException($"Unknown image normalisation '{s}' (use half, imagenet or unit)."),
    };
}

/// <summary>Builds input tensors for an ONNX model: images (PNG/JPEG via SkiaSharp), text rendered to an image,
/// token-id lists, or seeded random tensors. Symbolic dimensions are resolved from <c>shape</c> overrides or the data.</summary>
public static class OnnxInputs
{
    /// <summary>Concrete NCHW shape for an image input: batch 1, channels/height/width from the model when fixed,
    /// else from <paramref name="fallback"/> (height, width).</summary>
    public static int[] ImageShape(long?[] modelShape, int[]? overrideShape, (int H, int W) fallback)
    {
        if (overrideShape != null) return overrideShape;
        if (modelShape.Length != 4) throw new ArgumentException($"Image input needs a 4-D [N, C, H, W] model input; this input has rank {modelShape.Length}. Use --input-shape.");
        return [1, (int)(modelShape[1] ?? 3), (int)(modelShape[2] ?? fallback.H), (int)(modelShape[3] ?? fallback.W)];
    }

    /// <summary>Decode an image file, resize it to the shape's H x W and normalise (RGB, NCHW).</summary>
    public static DenseTensor<float> FromImageFile(string path, int[] shape, ImageNormalisation norm)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input image not found: {path}", path);
        using var bmp = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not a decodable image (PNG/JPEG/WebP/BMP/GIF).");
        return FromBitmap(bmp, shape, norm);
    }

    /// <summary>Render <paramref name="text"/> black on white, left-aligned, to the shape's H x W (an OCR line).</summary>
    public static DenseTensor<float> FromText(string text, int[] shape, ImageNormalisation norm)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--text must not be empty.");
        int h = shape[2], w = shape[3];
        using var bmp = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.White);
            using var font = new SKFont(SKTypeface.Default, h * 0.7f);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            float width = font.MeasureText(text);
            if (width > w - 4) font.Size *= (w - 4) / width;
            canvas.DrawText(text, 2, h * 0.5f + font.Size * 0.35f, SKTextAlign.Left, font, paint);
        }
        return FromBitmap(bmp, shape, norm);
    }

    private static DenseTensor<float> FromBitmap(SKBitmap src, int[] shape, ImageNormalisation norm)
    {
        if (shape.Length != 4 || shape[0] != 1) throw new ArgumentException("Image inputs need shape [1, C, H, W].");
        int c = shape[1], h = shape[2], w = shape[3];
        if (c != 3 && c != 1) throw new ArgumentException($"Image input must have 1 or 3 channels, model wants {c}.");
        using var resized = src.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear))
            ?? throw new InvalidDataException("Could not resize the image.");
        var t = new DenseTensor<float>(shape);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var px = resized.GetPixel(x, y);
                double[] rgb = [px.Red / 255.0, px.Green / 255.0, px.Blue / 255.0];
                if (c == 1) t[0, 0, y, x] = (float)(((rgb[0] + rgb[1] + rgb[2]) / 3 - norm.Mean[0]) / norm.Std[0]);
                else for (int ch = 0; ch < 3; ch++) t[0, ch, y, x] = (float)((rgb[ch] - norm.Mean[ch]) / norm.Std[ch]);
            }
        return t;
    }

    /// <summary>Standard-normal tensor of the given shape (seeded).</summary>
    public static DenseTensor<float> Random(Rng rng, int[] shape)
    {
        var t = new DenseTensor<float>(shape);
        var span = t.Buffer.Span;
        for (int i = 0; i < span.Length; i++) span[i] = (float)rng.NextGaussian();
        return t;
    }

    /// <summary>Parse "1,3,48,320" into a shape.</summary>
    public static int[] ParseShape(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--input-shape is empty.");
        var r = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out r[i]) || r[i] <= 0) throw new ArgumentException($"--input-shape '{s}': '{parts[i]}' is not a positive integer.");
        return r;
    }
}
