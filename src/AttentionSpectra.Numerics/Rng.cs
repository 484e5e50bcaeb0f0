using System.Runtime.CompilerServices;

namespace AttentionSpectra.Numerics;

/// <summary>Seeded, splittable pseudo-random generator (xoshiro256** state seeded through SplitMix64).
/// Same seed gives the same stream on every machine. <see cref="Split(ulong)"/> derives an independent child stream
/// deterministically, so parallel work can give each task its own generator: <c>rng.Split(taskIndex)</c>.</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The seed this generator was created with (the root of <see cref="Split(ulong)"/>).</summary>
    public ulong Seed { get; }

    /// <summary>A generator for <paramref name="seed"/> (state expanded by SplitMix64; any seed, 0 included).
    /// </summary>
    public Rng(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x); _s1 = SplitMix64(ref x); _s2 = SplitMix64(ref x); _s3 = SplitMix64(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    /// <summary>Child generator for stream <paramref name="stream"/>: a pure function of (seed, stream),
    /// independent of how many numbers this generator has already produced.</summary>
    public Rng Split(ulong stream)
    {
        ulong x = Seed ^ (0x9E3779B97F4A7C15UL * (stream + 1));
        ulong mixed = SplitMix64(ref x) ^ RotL(SplitMix64(ref x), 17);
        return new Rng(mixed);
    }

    /// <summary>Child generator drawn from this generator's stream (advances this generator).</summary>
    public Rng Split() => new(NextUInt64());

    /// <summary>Next 64 uniformly random bits (xoshiro256**).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = RotL(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "Upper bound must be positive.");
        // Lemire's nearly-divisionless method.
        ulong m = (NextUInt64() >> 32) * (ulong)n;
        uint l = (uint)m;
        if (l < (uint)n)
        {
            uint t = (uint)(-n) % (uint)n;
            while (l < t) { m = (NextUInt64() >> 32) * (ulong)n; l = (uint)m; }
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal draw (256-layer ziggurat, Marsaglia-Tsang with Doornik's ZIGNOR acceptance test;
    /// one 64-bit word per draw in ~99% of cases).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextGaussian()
    {
        ulong bits = NextUInt64();
        int i = (int)(bits & 0xFF);
        double u = (bits >> 11) * (1.0 / (1UL << 52)) - 1.0; // [-1, 1), independent of the layer bits
        double xi = Ziggurat.X[i];
        if (Math.Abs(u) < Ziggurat.Ratio[i]) return u * xi;
        return GaussianSlow(i, u);
    }

    private double GaussianSlow(int i, double u)
    {
        while (true)
        {
            if (i == 0)
            {
                // Base strip beyond the rectangle: sample the tail |x| > R (Marsaglia 1964).
                double xx, yy;
                do
                {
                    xx = -Math.Log(1.0 - NextDouble()) / Ziggurat.R;
                    yy = -Math.Log(1.0 - NextDouble());
                } while (yy + yy < xx * xx);
                return u > 0 ? Ziggurat.R + xx : -(Ziggurat.R + xx);
            }
            double x = u * Ziggurat.X[i];
            double f0 = Math.Exp(-0.5 * (Ziggurat.X[i] * Ziggurat.X[i] - x * x));
            double f1 = Math.Exp(-0.5 * (Ziggurat.X[i + 1] * Ziggurat.X[i + 1] - x * x));
            if (f1 + NextDouble() * (f0 - f1) < 1.0) return x;
            ulong bits = NextUInt64();
            i = (int)(bits & 0xFF);
            u = (bits >> 11) * (1.0 / (1UL << 52)) - 1.0;
            if (Math.Abs(u) < Ziggurat.Ratio[i]) return u * Ziggurat.X[i];
        }
    }

    /// <summary>Fills <paramref name="dst"/> with iid N(mean, std^2) draws: the same numbers as repeated
    /// <see cref="NextGaussian"/> calls, with the generator state held in registers (~2-3 ns per draw).</summary>
    public void FillGaussian(Span<double> dst, double mean = 0.0, double std = 1.0)
    {
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"Gaussian parameters must be finite with std >= 0, got mean={mean}, std={std}.");
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        double[] xs = Ziggurat.X, ratio = Ziggurat.Ratio;
        for (int k = 0; k < dst.Length; k++)
        {
            ulong bits = RotL(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = RotL(s3, 45);
            int i = (int)(bits & 0xFF);
            double u = (bits >> 11) * (1.0 / (1UL << 52)) - 1.0;
            double z;
            if (Math.Abs(u) < ratio[i]) z = u * xs[i];
            else
            {
                _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
                z = GaussianSlow(i, u);
                s0 = _s0; s1 = _s1; s2 = _s2; s3 = _s3;
            }
            dst[k] = mean + std * z;
        }
        _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
    }

    /// <summary>Fills <paramref name="dst"/> with uniforms on [0, 1) (same numbers as repeated <see cref="NextDouble"/>).</summary>
    public void FillUniform(Span<double> dst)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int k = 0; k < dst.Length; k++)
        {
            ulong r = RotL(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = RotL(s3, 45);
            dst[k] = (r >> 11) * (1.0 / (1UL << 53));
        }
        _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
    }

    /// <summary>Unit vector uniformly distributed on the sphere S^{d-1}.</summary>
    public double[] UnitVector(int d)
    {
        var v = new double[d];
        double n;
        do { FillGaussian(v); n = System.Numerics.Tensors.TensorPrimitives.Norm<double>(v); } while (n == 0);
        System.Numerics.Tensors.TensorPrimitives.Divide<double>(v, n, v);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Tables of the 256-layer normal ziggurat (Marsaglia and Tsang 2000; layout and acceptance test of
/// Doornik 2005, "An improved ziggurat method to generate normal random samples"). X[0] = V / f(R) is the width of
/// the pseudo-rectangle that carries the base strip and tail, X[1] = R, X[i+1] = f^{-1}(f(X[i]) + V / X[i]), X[256] = 0,
/// with f(x) = exp(-x^2/2), R = 3.6541528853610088 and V = 0.00492867323399 (the common layer area).</summary>
internal static class Ziggurat
{
    internal const int Layers = 256;
    internal const double R = 3.6541528853610088;
    internal const double V = 0.00492867323399;
    internal static readonly double[] X = new double[Layers + 1];
    internal static readonly double[] Ratio = new double[Layers];

    static Ziggurat()
    {
        double f = Math.Exp(-0.5 * R * R);
        X[0] = V / f;
        X[1] = R;
        for (int i = 2; i < Layers; i++)
        {
            X[i] = Math.Sqrt(-2.0 * Math.Log(V / X[i - 1] + f));
            f = Math.Exp(-0.5 * X[i] * X[i]);
        }
        X[Layers] = 0.0;
        for (int i = 0; i < Layers; i++) Ratio[i] = X[i + 1] / X[i];
    }
}
