namespace AttentionSpectra;

/// <summary>Progress of a long computation: a task label and completed/total work units. Library code reports
/// through <see cref="IProgress{T}"/> of this type; the CLI renders it (Spectre.Console), tests ignore it.</summary>
public readonly record struct ProgressUpdate(string Task, double Completed, double Total);

/// <summary>Null-tolerant reporting helper for <see cref="IProgress{T}"/> of <see cref="ProgressUpdate"/>.</summary>
public static class ProgressExtensions
{
    /// <summary>Reports (task, completed, total) when <paramref name="p"/> is not null; does nothing otherwise.
    /// </summary>
    public static void Report(this IProgress<ProgressUpdate>? p, string task, double completed, double total) =>
        p?.Report(new ProgressUpdate(task, completed, total));
}
