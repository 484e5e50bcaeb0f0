using System.Diagnostics;
using AttentionSpectra.Cli;
using CsCheck;

namespace AttentionSpectra.Tests.Fuzz;

/// <summary>Shared pieces of the fuzz and property campaign: case counts (scaled by ATTNSPEC_FUZZ_SCALE for
/// scripts/fuzz.sh), the outcome check every case must pass, byte-level mutations, and a tally of cases run
/// (appended to the file named by ATTNSPEC_FUZZ_REPORT).</summary>
internal static class FuzzHarness
{
    /// <summary>Multiplier on every campaign's case count (1 in CI).</summary>
    public static int Scale =>
        int.TryParse(Environment.GetEnvironmentVariable("ATTNSPEC_FUZZ_SCALE"), out int s) && s > 0 ? s : 1;

    public static long Cases(int ci) => (long)ci * Scale;

    /// <summary>Per-case time cap (a hang fails the case).</summary>
    public static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(60);

    /// <summary>Run one case: it must either return or throw an exception that the CLI reports as a usage/input error
    /// (exit 2) with a non-empty one-line message; never a numerical failure (1), an internal error (70), an
    /// out-of-memory, a hang beyond <paramref name="time"/> or more than <paramref name="memory"/> bytes allocated on
    /// the case's thread.</summary>
    public static void Case(string what, Action target, long memory = 256L << 20, TimeSpan? time = null)
    {
        OnOwnThread(what, time ?? TimeCap, () =>
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            try { target(); }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                if (e is OutOfMemoryException or InsufficientMemoryException or StackOverflowException)
                    throw new Xunit.Sdk.XunitException($"{what}: {e.GetType().Name}: {e.Message}");
                var (code, msg, _) = CliHost.Classify(e);
                if (code != CliHost.ExitUsage || string.IsNullOrWhiteSpace(msg))
                    throw new Xunit.Sdk.XunitException($"{what}: exit {code} ({e.GetType().Name}): {e}");
            }
            long used = GC.GetAllocatedBytesForCurrentThread() - a0;
            if (used > memory) throw new Xunit.Sdk.XunitException($"{what}: allocated {used} bytes (cap {memory})");
        });
    }

    /// <summary>Run the real CLI in process: exit 0, or exit 2 with exactly one `error:` line (plus an optional
    /// `hint:`); nothing else, within the time cap.</summary>
    public static void CliCase(string what, params string[] args)
    {
        OnOwnThread(what, TimeCap, () =>
        {
            var err = new StringWriter();
            Ui.ErrorWriter.Value = err;
            int code = CliHost.Run(CliApp.BuildRoot(), args);
            var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (code == 0 && lines.Length == 0) return;
            if (code != CliHost.ExitUsage || lines.Length is < 1 or > 2 || !lines[0].StartsWith("error: ") ||
                (lines.Length == 2 && !lines[1].StartsWith("hint: ")))
                throw new Xunit.Sdk.XunitException($"{what}: exit {code}, stderr: {err}");
        });
    }

    /// <summary>Run <paramref name="body"/> on a dedicated thread (not the thread pool, which parallel tests can
    /// starve) and fail if it has not finished within <paramref name="cap"/>.</summary>
    private static void OnOwnThread(string what, TimeSpan cap, Action body)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? error = null;
        var t = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "fuzz case" };
        t.Start();
        if (!t.Join(cap)) throw new Xunit.Sdk.XunitException($"{what}: no result within {cap}");
        error?.Throw();
    }

    /// <summary>Run <paramref name="ci"/> x <see cref="Scale"/> cases of <paramref name="gen"/> sequentially. In CI the
    /// cases are fixed (case i comes from PCG(stream = hash of the campaign name, seed = i)), so the suite's result
    /// depends only on the code; scaled up (scripts/fuzz.sh) or with ATTNSPEC_FUZZ_RANDOM=1 every case gets a random
    /// seed. All cases run; failures are counted, recorded with the tally, and reported together at the end with the
    /// PCG stream and seed that reproduce each.</summary>
    public static void Run<T>(string campaign, Gen<T> gen, int ci, Action<T> body)
    {
        long n = Cases(ci);
        uint stream = Fnv(campaign);
        var failures = new List<string>();
        long failed = 0;
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < n; i++)
        {
            ulong seed = Deterministic ? (ulong)i : (ulong)Random.Shared.NextInt64();
            var value = gen.Generate(new PCG(stream, seed), null, out _);
            try { body(value); }
            catch (Exception e)
            {
                failed++;
                if (failures.Count < 5) failures.Add($"PCG({stream}, {seed}): {e.Message}");
            }
        }
        Record(campaign, n, sw.Elapsed, failed);
        if (failed > 0)
            throw new Xunit.Sdk.XunitException($"{campaign}: {failed} of {n} cases failed" +
                                               (Deterministic ? " (fixed CI cases)" : "") + ":\n" + string.Join("\n",
                                                   failures));
    }

    /// <summary>Fixed cases (CI) unless scaled up or ATTNSPEC_FUZZ_RANDOM=1.</summary>
    public static bool Deterministic => Scale == 1 && Environment.GetEnvironmentVariable("ATTNSPEC_FUZZ_RANDOM") != "1";

    private static uint Fnv(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }

    private static readonly object ReportLock = new();

    /// <summary>Append "campaign cases seconds failures" to ATTNSPEC_FUZZ_REPORT (if set).</summary>
    public static void Record(string campaign, long cases, TimeSpan elapsed, long failed)
    {
        string? file = Environment.GetEnvironmentVariable("ATTNSPEC_FUZZ_REPORT");
        if (string.IsNullOrEmpty(file)) return;
        lock (ReportLock)
            File.AppendAllText(file, $"{campaign}\t{cases}\t{elapsed.TotalSeconds:F1}\t{failed}\n");
    }

    // ------------------------------------------------------------------ mutations

    /// <summary>One byte-level edit. Kind: 0 truncate, 1 flip a bit, 2 set a byte, 3 overwrite a span, 4 delete a
    /// span, 5 insert a span, 6 write a 64-bit little-endian value (huge lengths/dimensions), 7 write a 32-bit one.
    /// Pos is a fraction of the length (biased to the header by the generator).</summary>
    public sealed record Mutation(int Kind, double Pos, int Len, byte Value, long Big);

    private static readonly Gen<long> BigValue = Gen.Frequency<long>(
        (3, Gen.OneOf(0L, -1L, 1L, 2L, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue,
            long.MinValue,
            1L << 40, 1L << 53, -(1L << 31))),
        (1, Gen.Long));

    /// <summary>Mutation generator; 3 in 4 edits fall in the first <paramref name="headerBytes"/> bytes.</summary>
    public static Gen<Mutation> MutationGen(int length, int headerBytes)
    {
        double h = Math.Min(1.0, headerBytes / (double)Math.Max(length, 1));
        var pos = Gen.Frequency((3, Gen.Double[0, h]), (1, Gen.Double[0, 1]));
        return Gen.Select(Gen.Int[0, 7], pos, Gen.Int[1, 64], Gen.Byte, BigValue,
            (k, p, l, v, b) => new Mutation(k, p, l, v, b));
    }

    /// <summary>Apply edits in order to a copy of <paramref name="data"/>.</summary>
    public static byte[] Apply(byte[] data, IEnumerable<Mutation> edits)
    {
        var b = new List<byte>(data);
        foreach (var m in edits)
        {
            if (b.Count == 0) break;
            int at = Math.Clamp((int)(m.Pos * b.Count), 0, b.Count - 1);
            int len = Math.Min(m.Len, b.Count - at);
            switch (m.Kind)
            {
                case 0: b.RemoveRange(at, b.Count - at); break;
                case 1: b[at] ^= (byte)(1 << (m.Value & 7)); break;
                case 2: b[at] = m.Value; break;
                case 3: for (int i = 0; i < len; i++) b[at + i] = m.Value; break;
                case 4: b.RemoveRange(at, len); break;
                case 5: b.InsertRange(at, Enumerable.Repeat(m.Value, m.Len)); break;
                case 6: Write(b, at, BitConverter.GetBytes(m.Big)); break;
                default: Write(b, at, BitConverter.GetBytes((int)m.Big)); break;
            }
        }
        return [.. b];

        static void Write(List<byte> b, int at, byte[] v)
        {
            for (int i = 0; i < v.Length && at + i < b.Count; i++) b[at + i] = v[i];
        }
    }

    /// <summary>Replace the <paramref name="which"/>-th integer literal of the text region [start, end) with
    /// <paramref name="replacement"/> (header edits: shapes, offsets, lengths).</summary>
    public static string EditNumber(string text, int start, int end, int which, string replacement)
    {
        var nums = System.Text.RegularExpressions.Regex.Matches(text[start..end], @"-?\d+");
        if (nums.Count == 0) return text;
        var m = nums[which % nums.Count];
        return text[..(start + m.Index)] + replacement + text[(start + m.Index + m.Length)..];
    }

    /// <summary>Replacement literals for header edits: huge, negative, zero, non-integral and non-numeric.</summary>
    public static readonly Gen<string> NumberEdit = Gen.OneOf("-1", "0", "1", "3", "2147483647", "2147483648",
        "4294967296", "9223372036854775807", "99999999999999999999999", "1e30", "1.5", "\"x\"", "null",
            "-9223372036854775808");
}
