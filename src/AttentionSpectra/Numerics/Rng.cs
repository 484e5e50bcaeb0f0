using System.Runtime.CompilerServices;

namespace AttentionSpectra.Numerics;

/// <summary>Seeded, splittable pseudo-random generator (xoshiro256** state seeded through SplitMix64).
/// Same seed gives the same stream on every machine. <see cref="Split"/> derives an independent child stream
/// deterministically, so parallel work can give each task its own generator: <c>rng.Split(taskIndex)</c>.</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public ulong Seed { get; }

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

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spare = v * f; _hasSpare = true;
        return u * f;
    }

    public void FillGaussian(Span<double> dst, double mean = 0.0, double std = 1.0)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = mean + std * NextGaussian();
    }

    public void FillUniform(Span<double> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble();
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
