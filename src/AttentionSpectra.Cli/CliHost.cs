using System.CommandLine;

namespace AttentionSpectra.Cli;

/// <summary>Parses and invokes the command tree, turning every failure into a one-line error and an exit code
/// (2: bad input or usage, 1: internal failure). Set ATTNSPEC_DEBUG=1 to see stack traces.</summary>
public static class CliHost
{
    public static int Run(RootCommand root, string[] args)
    {
        bool debug = Environment.GetEnvironmentVariable("ATTNSPEC_DEBUG") == "1";
        try
        {
            var parse = root.Parse(args);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (!debug && IsUserError(ex))
        {
            Ui.Error(ex.Message);
            return 2;
        }
        catch (Exception ex) when (!debug)
        {
            Ui.Error($"{ex.GetType().Name}: {ex.Message} (set ATTNSPEC_DEBUG=1 for details)");
            return 1;
        }
    }

    public static bool IsUserError(Exception ex) =>
        ex is ArgumentException or FormatException or InvalidDataException or IOException or UnauthorizedAccessException
            or NotSupportedException or System.Text.Json.JsonException;
}
