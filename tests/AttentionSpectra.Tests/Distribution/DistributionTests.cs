using System.Diagnostics;
using System.Text.Json;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.Distribution;

/// <summary>Runs alone, after the parallel tests: the two tests below build the CLI in Release (pack, publish).</summary>
[CollectionDefinition(nameof(DistributionCollection), DisableParallelization = true)]
public sealed class DistributionCollection : ICollectionFixture<DistributionFixture>;

/// <summary>One temporary folder for both tests; both builds share its artifacts path (the second is incremental), so
/// the developer's bin/obj folders are never touched.</summary>
public sealed class DistributionFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("attnspec-dist-").FullName;
    public string Artifacts => Path.Combine(Root, "artifacts");
    public string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "AttentionSpectra.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root (AttentionSpectra.sln) not found above the test binaries");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Issue 16: the CLI as a .NET tool (pack, install from a local folder, run, uninstall) and as a
/// self-contained single-file executable that runs with no <c>dotnet</c> on PATH.</summary>
[Collection(nameof(DistributionCollection))]
public sealed class DistributionTests(DistributionFixture fx)
{
    static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    string CliProject => Path.Combine(fx.RepoRoot, "src", "AttentionSpectra.Cli", "AttentionSpectra.Cli.csproj");

    [Fact]
    public void ToolPacksInstallsRunsAndUninstalls()
    {
        string feed = Path.Combine(fx.Root, "feed"), tools = Path.Combine(fx.Root, "tools");
        string outDir = Path.Combine(fx.Root, "tool-out"), refDir = Path.Combine(fx.Root, "ref-out");
        Dotnet(BuildTimeout, "pack", CliProject, "-c", "Release", "-o", feed, "--artifacts-path", fx.Artifacts);
        Assert.Single(Directory.GetFiles(feed, "AttentionSpectra.Cli.*.nupkg"));

        Dotnet(BuildTimeout, "tool", "install", "--tool-path", tools, "--add-source", feed, "AttentionSpectra.Cli");
        string exe = Path.Combine(tools, "attnspec");
        Assert.True(File.Exists(exe), "tool shim attnspec not created");

        var v = Run(exe, fx.Root, RunTimeout, null, "version");
        Assert.Equal(0, v.ExitCode);
        Assert.Matches(@"^attnspec \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\r?$", v.StdOut.Split('\n')[0]);
        Assert.Matches(@"(?m)^commit ([0-9a-f]{7,40}|unknown)\r?$", v.StdOut);
        Assert.Contains("runtime .NET", v.StdOut);
        Assert.Contains("Vector512", v.StdOut);

        string[] spectrum = ["rmt", "spectrum", "--d", "50", "--V", "100", "--N", "100", "--T", "4", "--quiet"];
        var r = Run(exe, fx.Root, RunTimeout, null, [.. spectrum, "--out", outDir]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string eig = Path.Combine(outDir, "rmt", "spectrum-eigenvalues.json");
        using (var doc = JsonDocument.Parse(File.ReadAllText(eig)))
        {
            var values = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("eigenvalue").GetDouble()).ToArray();
            Assert.Equal(50, values.Length);                       // d eigenvalues of the d x d sample covariance
            Assert.All(values, x => Assert.True(x >= -1e-12 && double.IsFinite(x)));
        }
        // The installed tool and the CLI built next to these tests give byte-identical results for the same seed.
        var local = CliRunner.Run(fx.Root, RunTimeout, [.. spectrum, "--out", refDir]);
        Assert.True(local.ExitCode == 0, local.All);
        Assert.Equal(File.ReadAllBytes(Path.Combine(refDir, "rmt", "spectrum-eigenvalues.json")), File.ReadAllBytes(eig));

        Dotnet(RunTimeout, "tool", "uninstall", "--tool-path", tools, "AttentionSpectra.Cli");
        Assert.False(File.Exists(exe), "attnspec still present after uninstall");
    }

    [LinuxX64Fact]
    public void SingleFilePublishRunsReproduceWithoutDotnetOnPath()
    {
        string pub = Path.Combine(fx.Root, "publish"), outDir = Path.Combine(fx.Root, "reproduce-out");
        Dotnet(BuildTimeout, "publish", CliProject, "-c", "Release", "-r", "linux-x64", "--self-contained",
               "-p:PublishSingleFile=true", "-o", pub, "--artifacts-path", fx.Artifacts);
        string exe = Path.Combine(pub, "attnspec");
        Assert.True(File.Exists(exe));
        Assert.False(File.Exists(Path.Combine(pub, "attnspec.dll")), "not a single-file build");
        Assert.Empty(Directory.GetFiles(pub, "*.so"));               // native libraries are bundled

        // PATH without any directory holding a dotnet executable; no DOTNET_ROOT: the runtime must come from the file.
        string path = string.Join(':', (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Where(d => d.Length > 0 && !File.Exists(Path.Combine(d, "dotnet"))));
        var env = new Dictionary<string, string?>
        {
            ["PATH"] = path, ["DOTNET_ROOT"] = null, ["DOTNET_ROOT_X64"] = null, ["DOTNET_HOST_PATH"] = null,
            ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(fx.Root, "extract"),
        };
        var r = Run(exe, fx.Root, BuildTimeout, env, "reproduce", "--quiet", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        foreach (var study in new[] { "study-a", "study-b", "study-c" })
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, study), "*.json"));
        Assert.NotEmpty(Directory.GetFiles(outDir, "*.png", SearchOption.AllDirectories));   // Skia from the bundle
    }

    static void Dotnet(TimeSpan timeout, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h)
            ? h : "dotnet";
        var env = new Dictionary<string, string?>
        {
            ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0", ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        var r = Run(dotnet, Path.GetTempPath(), timeout, env, args);
        Assert.True(r.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
    }

    static CliRunner.Result Run(string exe, string workDir, TimeSpan timeout, IDictionary<string, string?>? env,
                                params string[] args)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, val) in env ?? new Dictionary<string, string?>())
            if (val is null) psi.Environment.Remove(k); else psi.Environment[k] = val;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new CliRunner.Result(p.ExitCode, so.Result, se.Result);
    }
}

/// <summary>A fact that runs on linux-x64 only (the platform the single-file build is published for).</summary>
public sealed class LinuxX64FactAttribute : FactAttribute
{
    public LinuxX64FactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture
            != System.Runtime.InteropServices.Architecture.X64)
            Skip = "the single-file build is published for linux-x64";
    }
}
