using System.Reflection;
using AttentionSpectra.Bench;

// Usage: dotnet run -c Release --project bench/AttentionSpectra.Bench -- <suite> [args...]
// Each suite is a class implementing IBenchSuite in its own file; they are discovered by reflection.
var suites = typeof(IBenchSuite).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(IBenchSuite).IsAssignableFrom(t))
    .Select(t => (IBenchSuite)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name)
    .ToDictionary(s => s.Name);

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine("usage: AttentionSpectra.Bench <suite> [args]\nsuites:");
    foreach (var s in suites.Values) Console.Error.WriteLine($"  {s.Name,-12} {s.Description}");
    return args.Length == 0 ? 0 : 2;
}
try
{
    return suite.Run(args[1..]);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
{
    // a bad or missing option value: one line, no stack trace
    Console.Error.WriteLine($"error: {suite.Name}: {ex.Message}");
    return 2;
}

namespace AttentionSpectra.Bench
{
    /// <summary>A benchmark suite: prints machine-readable results (one JSON object per line) to stdout.</summary>
    public interface IBenchSuite
    {
        string Name { get; }
        string Description { get; }
        int Run(string[] args);
    }
}
