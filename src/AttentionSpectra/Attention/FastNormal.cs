using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Attention;

/// <summary>Vectorised Box-Muller: fills a span with iid N(0, 1) draws from a <see cref="Rng"/>, using
/// TensorPrimitives Log/Sqrt/SinCos on blocks (much faster than the scalar polar method for prompt sampling).
/// Deterministic for a given generator state.</summary>
public static class FastNormal
{
    /// <summary>Scratch length needed to fill <paramref name="n"/> values.</summary>
    public static int ScratchLength(int n) => 3 * ((n + 1) / 2);

    public static void Fill(Rng rng, Span<double> dst, Span<double> scratch)
    {
        int n = dst.Length;
        if (n == 0) return;
        int m = (n + 1) / 2;
        if (scratch.Length < 3 * m) throw new ArgumentException($"FastNormal needs {3 * m} scratch values, got {scratch.Length}.");
        var r = dst[..m];
        var u2 = scratch[..m];
        var sin = scratch.Slice(m, m);
        var cos = scratch.Slice(2 * m, m);
        const double scale = 1.0 / (1UL << 53);
        for (int i = 0; i < m; i++)
        {
            r[i] = ((rng.NextUInt64() >> 11) + 1) * scale;        // (0, 1]
            u2[i] = (rng.NextUInt64() >> 11) * scale * (2 * Math.PI);
        }
        TensorPrimitives.Log(r, r);
        TensorPrimitives.Multiply(r, -2.0, r);
        TensorPrimitives.Sqrt(r, r);
        TensorPrimitives.SinCos(u2, sin, cos);
        int rest = n - m;
        TensorPrimitives.Multiply(r[..rest], sin[..rest], dst.Slice(m, rest));
        TensorPrimitives.Multiply(r, cos, r);
    }
}
