using System.IO.Compression;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Studies.VitTraining;

/// <summary>Labelled square images, one per row of <see cref="TrainImages"/> and <see cref="TestImages"/> (channels × side × side values, normalised to
/// [−1, 1]), split into a training and a test part.</summary>
/// <param name="Name">Data set name.</param>
/// <param name="Side">Image side in pixels.</param>
/// <param name="Channels">Channels per pixel.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="TrainImages">Training images.</param>
/// <param name="TrainLabels">Training labels.</param>
/// <param name="TestImages">Test images.</param>
/// <param name="TestLabels">Test labels.</param>
public sealed record ImageDataset(string Name, int Side, int Channels, int Classes, Matrix TrainImages,
    int[] TrainLabels,
    Matrix TestImages, int[] TestLabels)
{
    /// <summary>Default install folder of Debian's <c>dataset-fashion-mnist</c> package.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The 8×8 digits shipped with the repository (1797 images, pixel values 0–16), split at random
    /// (seeded) into test (<paramref name="testFraction"/>) and training parts.</summary>
    public static ImageDataset Digits(Rng rng, double testFraction = 0.2)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentException("testFraction must lie in (0, 1).");
        var (pixels, labels) = PcaAlignment.Digits.Load();
        var x = new Matrix(pixels.Rows, pixels.Cols);
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = pixels.Data[i] / 8.0 - 1.0;
        var order = Enumerable.Range(0, x.Rows).ToArray();
        for (int i = order.Length - 1; i > 0; i--) { int r = rng.NextInt(i + 1); (order[i], order[r]) = (order[r],
            order[i]); }
        int nTest = (int)Math.Round(testFraction * x.Rows);
        var test = order[..nTest]; var train = order[nTest..];
        return new ImageDataset("digits", 8, 1, 10, Rows(x, train), [.. train.Select(i => labels[i])],
            Rows(x, test), [.. test.Select(i => labels[i])]);
    }

    /// <summary>Fashion-MNIST (28×28, 10 classes) from the IDX files of Debian's <c>dataset-fashion-mnist</c> package
    /// (or the same four files in <paramref name="directory"/>); the first <paramref name="maxTrain"/> training and
    /// <paramref name="maxTest"/> test images.</summary>
    /// <exception cref="FileNotFoundException">The files are not installed.</exception>
    public static ImageDataset FashionMnist(string directory = FashionMnistDirectory, int maxTrain = 60000,
        int maxTest = 10000)
    {
        string F(string n) => Path.Combine(directory, n);
        var trainX = ReadIdxImages(F("train-images-idx3-ubyte.gz"), maxTrain, out int side);
        var trainY = ReadIdxLabels(F("train-labels-idx1-ubyte.gz"), maxTrain);
        var testX = ReadIdxImages(F("t10k-images-idx3-ubyte.gz"), maxTest, out _);
        var testY = ReadIdxLabels(F("t10k-labels-idx1-ubyte.gz"), maxTest);
        if (trainX.Rows != trainY.Length || testX.Rows != testY.Length)
            throw new InvalidDataException($"{directory}: image and label counts differ.");
        return new ImageDataset("fashion-mnist", side, 1, 10, trainX, trainY, testX, testY);
    }

    /// <summary>Images of a (possibly gzipped) IDX3 file as rows scaled to [−1, 1].</summary>
    public static Matrix ReadIdxImages(string path, int max, out int side)
    {
        var b = ReadAll(path);
        if (b.Length < 16 || Be(b, 0) != 0x803) throw new InvalidDataException($"{path}: not an IDX3 image file.");
        int n = Math.Min(Be(b, 4), max), rows = Be(b, 8), cols = Be(b, 12);
        if (rows != cols) throw new InvalidDataException($"{path}: images are {rows}×{cols}, not square.");
        if (b.Length < 16 + (long)n * rows * cols) throw new InvalidDataException($"{path}: truncated.");
        side = rows;
        var m = new Matrix(n, rows * cols);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = b[16 + i] / 127.5 - 1.0;
        return m;
    }

    /// <summary>Labels of a (possibly gzipped) IDX1 file.</summary>
    public static int[] ReadIdxLabels(string path, int max)
    {
        var b = ReadAll(path);
        if (b.Length < 8 || Be(b, 0) != 0x801) throw new InvalidDataException($"{path}: not an IDX1 label file.");
        int n = Math.Min(Be(b, 4), max);
        if (b.Length < 8 + n) throw new InvalidDataException($"{path}: truncated.");
        return [.. b.AsSpan(8, n).ToArray().Select(x => (int)x)];
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        using var fs = File.OpenRead(path);
        using var ms = new MemoryStream();
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            gz.CopyTo(ms);
        }
        else fs.CopyTo(ms);
        return ms.ToArray();
    }

    private static int Be(byte[] b, int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];

    private static Matrix Rows(Matrix x, int[] idx)
    {
        var r = new Matrix(idx.Length, x.Cols);
        for (int i = 0; i < idx.Length; i++) x.RowReadOnly(idx[i]).CopyTo(r.Row(i));
        return r;
    }
}
