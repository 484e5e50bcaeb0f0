using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionSpectra.Cli.Commands;

/// <summary><c>attnspec version</c>: the SemVer version, the git commit of the build, the runtime and SIMD support.</summary>
public static class VersionCommand
{
    static string InformationalVersion =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";

    /// <summary>SemVer version (e.g. 0.2.0), without build metadata.</summary>
    public static string Version => InformationalVersion.Split('+')[0];

    /// <summary>Git commit the build came from (the SDK appends it to the informational version as "+sha"), or
    /// "unknown" when the build had no git metadata.</summary>
    public static string Commit
    {
        get
        {
            int plus = InformationalVersion.IndexOf('+');
            return plus >= 0 && plus + 1 < InformationalVersion.Length ? InformationalVersion[(plus + 1)..] : "unknown";
        }
    }

    /// <summary>Creates the <c>version</c> command.</summary>
    public static Command Create()
    {
        var cmd = new Command("version", "Print the attnspec version, the commit it was built from, runtime and SIMD support.");
        cmd.SetAction(pr =>
        {
            Console.WriteLine($"attnspec {Version}");
            Console.WriteLine($"commit {Commit}");
            Console.WriteLine($"runtime {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}); " +
                              $"{Environment.ProcessorCount} cores");
            Console.WriteLine($"SIMD Vector512 {YesNo(Vector512.IsHardwareAccelerated)}, " +
                              $"Vector256 {YesNo(Vector256.IsHardwareAccelerated)}, " +
                              $"AVX-512F {YesNo(Avx512F.IsSupported)}, AVX2 {YesNo(Avx2.IsSupported)}, " +
                              $"FMA {YesNo(Fma.IsSupported)}");
            return 0;
        });
        return cmd;
    }

    static string YesNo(bool b) => b ? "yes" : "no";
}
