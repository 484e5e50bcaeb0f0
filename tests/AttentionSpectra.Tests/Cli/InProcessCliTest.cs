using System.Text.Json;
using AttentionSpectra.Cli;

namespace AttentionSpectra.Tests.Cli;

/// <summary>Base of tests that run <c>attnspec</c> in-process through the CLI host (so coverage sees the CLI), each
/// in its own temporary folder.</summary>
public abstract class InProcessCliTest : IDisposable
{
    /// <summary>The test's temporary folder, deleted afterwards.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("attnspec-inproc-").FullName;

    /// <summary>Runs the command line as <c>attnspec</c> would and returns its exit code.</summary>
    protected static int Run(params string[] args) => CliHost.Run(CliApp.BuildRoot(), args);

    /// <summary>The root element of a JSON file.</summary>
    protected static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <inheritdoc/>
    public void Dispose()
    {
        Directory.Delete(Dir, true);
        GC.SuppressFinalize(this);
    }
}
