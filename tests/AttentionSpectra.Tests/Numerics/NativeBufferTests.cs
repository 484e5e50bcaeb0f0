using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>The unmanaged scratch buffer of the dense reductions: 2 MiB alignment (so that huge-page advice covers
/// whole pages), usable over its whole length, argument and lifetime checks.</summary>
public unsafe class NativeBufferTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(1000L)]
    [InlineData(2000L * 2000)] // above the huge-page threshold
    public void IsAlignedAndWritableOverItsLength(long length)
    {
        using var buf = new NativeBuffer(length);
        Assert.Equal(length, buf.Length);
        Assert.Equal(0, (long)buf.Pointer % (2 << 20));
        var span = new Span<double>(buf.Pointer, (int)length);
        for (int i = 0; i < span.Length; i++) span[i] = i;
        double sum = 0;
        foreach (double v in span) sum += v;
        Assert.Equal(length * (length - 1) / 2.0, sum);
    }

    [Fact]
    public void RejectsNegativeLengthAndUseAfterDispose()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeBuffer(-1));
        var buf = new NativeBuffer(10);
        buf.Dispose();
        buf.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => (nint)buf.Pointer);
    }
}
