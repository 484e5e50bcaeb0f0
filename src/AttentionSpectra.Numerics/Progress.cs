namespace AttentionSpectra;

/// <summary>Progress of a long computation: a task label and completed/total work units. Library code reports
/// through <see cref="IProgress{T}"/> of this type; the CLI renders it (Spectre.Console), tests ignore it.</summary>
public readonly record struct ProgressUpdate(string Task, double Completed, double Total);

public static class ProgressExtensions
{
    public static void Report(this IProgress<ProgressUpdate>? p, string task, double completed, double total) =>
        p?.Report(new ProgressUpdate(task, completed, total));
}
