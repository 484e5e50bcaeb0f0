using System.Runtime.InteropServices;

namespace AttentionSpectra.Numerics;

/// <summary>An unmanaged, 2 MiB-aligned scratch array of doubles for the large work matrices of the dense
/// eigensolvers. On Linux, buffers of at least <see cref="HugePageMinimumBytes"/> are advised to use transparent huge
/// pages (<c>madvise(MADV_HUGEPAGE)</c>, as numpy does for its large arrays): a 2000 x 2000 matrix then spans 16 pages
/// instead of 8192, so the column-strided passes of the reductions stop missing the TLB. Contents are uninitialised.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private const nuint Alignment = 2 << 20;

    /// <summary>Buffers from this size on are advised to use huge pages.</summary>
    internal const long HugePageMinimumBytes = 4 << 20;

    /// <summary>Whether huge pages are requested at all (bench knob for A/B comparisons).</summary>
    internal static bool UseHugePages { get; set; } = true;

    private double* _p;

    /// <summary>Allocates <paramref name="length"/> doubles (uninitialised).</summary>
    public NativeBuffer(long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        nuint bytes = (nuint)Math.Max(1, length) * sizeof(double);
        // round up to whole huge pages so that madvise covers the buffer and nothing else
        bytes = (bytes + Alignment - 1) & ~(Alignment - 1);
        _p = (double*)NativeMemory.AlignedAlloc(bytes, Alignment);
        Length = length;
        if (UseHugePages && OperatingSystem.IsLinux() && (long)bytes >= HugePageMinimumBytes) AdviseHugePages(_p, bytes);
    }

    private static bool _adviceUnavailable;

    /// <summary>Advice only: a refusal, or a C library without <c>madvise</c>, leaves ordinary pages.</summary>
    private static void AdviseHugePages(void* p, nuint bytes)
    {
        if (_adviceUnavailable) return;
        try { _ = Madvise(p, bytes, MadvHugePage); }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _adviceUnavailable = true;
        }
    }

    /// <summary>Number of doubles.</summary>
    public long Length { get; }

    /// <summary>Start of the buffer.</summary>
    public double* Pointer => _p != null ? _p : throw new ObjectDisposedException(nameof(NativeBuffer));

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        if (_p != null) NativeMemory.AlignedFree(_p);
        _p = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if <see cref="Dispose"/> was not called.</summary>
    ~NativeBuffer() => Dispose();

    private const int MadvHugePage = 14;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(void* addr, nuint length, int advice);
}
