using System.CommandLine;
using System.Reflection;

namespace AttentionSpectra.Cli.Commands;

public static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0";

    public static Command Create()
    {
        var cmd = new Command("version", "Print the attnspec version, runtime and SIMD capabilities.");
        cmd.SetAction(pr =>
        {
            Console.WriteLine($"attnspec {Version}");
            Console.WriteLine($".NET {Environment.Version}; {Environment.ProcessorCount} cores; " +
                              $"Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "yes" : "no")}, " +
                              $"Vector256 {(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "yes" : "no")}, " +
                              $"FMA {(System.Runtime.Intrinsics.X86.Fma.IsSupported ? "yes" : "no")}");
            return 0;
        });
        return cmd;
    }
}
