using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttentionSpectra.Models;

/// <summary>A tensor read back from OnnxRuntime (any numeric or bool element type), stored as float32 values in
/// row-major order.</summary>
/// <param name="Data">Values.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="LowPrecision">The model computed it in float16/bfloat16.</param>
internal sealed record HostTensor(float[] Data, int[] Shape, bool LowPrecision = false)
{
    public long Length => Data.LongLength;

    public static HostTensor From(DisposableNamedOnnxValue r)
    {
        switch (r.Value)
        {
            case DenseTensor<float> f: return new(f.Buffer.ToArray(), f.Dimensions.ToArray());
            case DenseTensor<Float16> h:
                return new(Convert(h.Buffer.Span, x => (float)BitConverter.UInt16BitsToHalf(x.value)),
                    h.Dimensions.ToArray(), true);
            case DenseTensor<BFloat16> b:
                return new(Convert(b.Buffer.Span, x => OnnxModel.BFloat16ToSingle(x.value)),
                    b.Dimensions.ToArray(), true);
            case DenseTensor<double> d: return new(Convert(d.Buffer.Span, x => (float)x), d.Dimensions.ToArray());
            case DenseTensor<long> l: return new(Convert(l.Buffer.Span, x => (float)x), l.Dimensions.ToArray());
            case DenseTensor<int> i: return new(Convert(i.Buffer.Span, x => (float)x), i.Dimensions.ToArray());
            case DenseTensor<bool> z: return new(Convert(z.Buffer.Span, x => x ? 1f : 0f), z.Dimensions.ToArray());
            case DenseTensor<byte> u: return new(Convert(u.Buffer.Span, x => (float)x), u.Dimensions.ToArray());
            default:
                throw new InvalidDataException(
                    $"Graph value '{r.Name}' has an unsupported element type ({r.Value?.GetType().Name}).");
        }
    }

    private static float[] Convert<T>(ReadOnlySpan<T> s, Func<T, float> f)
    {
        var r = new float[s.Length];
        for (int i = 0; i < s.Length; i++) r[i] = f(s[i]);
        return r;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static long[] Strides(int[] shape)
    {
        var st = new long[shape.Length];
        long acc = 1;
        for (int k = shape.Length - 1; k >= 0; k--) { st[k] = acc; acc *= shape[k]; }
        return st;
    }

    public static long Count(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    /// <summary>Offsets into a tensor of shape <paramref name="src"/> for every element of the broadcast shape
    /// <paramref name="target"/> (numpy rules, right-aligned), in row-major order of
    /// <paramref name="target"/>.</summary>
    public static long[] BroadcastOffsets(int[] src, int[] target)
    {
        if (src.Length > target.Length)
            throw new InvalidDataException($"cannot broadcast [{Fmt(src)}] to [{Fmt(target)}]");
        var sst = Strides(src);
        var st = new long[target.Length];
        for (int k = 0; k < src.Length; k++)
        {
            int t = target.Length - src.Length + k;
            if (src[k] == target[t]) st[t] = sst[k];
            else if (src[k] != 1) throw new InvalidDataException($"cannot broadcast [{Fmt(src)}] to [{Fmt(target)}]");
        }
        long n = Count(target);
        var offs = new long[n];
        var idx = new int[target.Length];
        long off = 0;
        for (long e = 0; e < n; e++)
        {
            offs[e] = off;
            for (int k = target.Length - 1; k >= 0; k--)
            {
                if (++idx[k] < target[k]) { off += st[k]; break; }
                off -= st[k] * (idx[k] - 1);
                idx[k] = 0;
            }
        }
        return offs;
    }

    public static string Fmt(int[] s) => string.Join(",", s);
}

/// <summary>Conversions of float32 feeds to the element type a model input declares.</summary>
internal static class OnnxFeedConversion
{
    /// <summary>float → bfloat16 bits, rounded to nearest even.</summary>
    internal static ushort ToBFloat16Bits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static NamedOnnxValue ToInput(string name, Tensor<float> t, OnnxElemType type)
    {
        var dims = t.Dimensions.ToArray();
        var src = t.ToArray();
        NamedOnnxValue Of<T>(IEnumerable<T> values) =>
            NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values.ToArray(), dims));
        switch (type)
        {
            case OnnxElemType.Float or OnnxElemType.Undefined: return NamedOnnxValue.CreateFromTensor(name, t);
            case OnnxElemType.Int64: return Of(src.Select(x => (long)Math.Round(x)));
            case OnnxElemType.Int32: return Of(src.Select(x => (int)Math.Round(x)));
            case OnnxElemType.Double: return Of(src.Select(x => (double)x));
            case OnnxElemType.Float16: return Of(src.Select(x => new Float16(BitConverter.HalfToUInt16Bits((Half)x))));
            case OnnxElemType.BFloat16: return Of(src.Select(x => new BFloat16(ToBFloat16Bits(x))));
            case OnnxElemType.Bool: return Of(src.Select(x => x != 0));
            default:
                throw new ArgumentException($"Model input '{name}' has element type {type}; supported: float32/16, " +
                                            "bfloat16, float64, int64, int32, bool.");
        }
    }
}
