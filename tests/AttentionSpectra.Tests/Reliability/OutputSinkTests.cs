using System.Text.Json;
using AttentionSpectra.Reporting;

namespace AttentionSpectra.Tests.Reliability;

/// <summary>Staged output: nothing appears before Commit, a discarded run leaves the folder as it was, a rerun of a
/// command replaces what its previous run wrote (and only that), and manifest.json marks the set complete.</summary>
public class OutputSinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-sink-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static RunManifestEntry Entry(string dir, string command) =>
        RunManifest.Load(dir).Runs.Single(r => r.Command == command);

    [Fact]
    public void FilesAppearOnlyAtCommitAndTheManifestSaysComplete()
    {
        using var s = OutputSink.Staged(_dir, OutputFormat.Csv, "rmt phase");
        s.WriteTable(new ResultTable("phase", "a", "b").Add(1.0, 2.0));
        s.WriteJson("phase-summary", new { x = 1 });
        Assert.False(File.Exists(Path.Combine(_dir, "phase.csv")));
        Assert.False(File.Exists(Path.Combine(_dir, OutputSink.ManifestName)));
        s.Commit();
        Assert.True(File.Exists(Path.Combine(_dir, "phase.csv")));
        Assert.True(File.Exists(Path.Combine(_dir, "phase-summary.json")));
        var e = Entry(_dir, "rmt phase");
        Assert.True(e.Complete);
        Assert.Equal(new HashSet<string> { "phase.csv", "phase-summary.json" }, e.Files.ToHashSet());
        Assert.DoesNotContain(Directory.GetDirectories(_dir),
            d => Path.GetFileName(d).StartsWith(OutputSink.StagingPrefix));
    }

    [Fact]
    public void TheCommandPageIsWrittenAtCommitIntoTheStagedSet_AndADiscardedRunWritesNone()
    {
        var info = new CommandPageInfo("attnspec rmt phase", [new RunParameter("--seed", "1", true)], [],
            new RunInfo("attnspec rmt phase", "0", 1, "m", DateTimeOffset.UnixEpoch, []));
        using (var discarded = OutputSink.Staged(_dir, OutputFormat.Json, "rmt phase"))
        {
            discarded.WriteJson("phase-summary", new { x = 1 });
            discarded.BeforeCommit = k => HtmlReport.WriteCommandPage(k, info);
        }
        Assert.Empty(Directory.GetFileSystemEntries(_dir));

        using var s = OutputSink.Staged(_dir, OutputFormat.Json, "rmt phase");
        s.WriteTable(new ResultTable("phase", "a", "b").Add(1.0, 2.0));
        s.Claims.Add(Claim.FromZ("z", 1, 1.01, 0.01));
        int calls = 0;
        s.BeforeCommit = k =>
        {
            calls++;
            Assert.False(File.Exists(Path.Combine(_dir, "phase.json")));   // still staged
            HtmlReport.WriteCommandPage(k, info);
        };
        s.Commit();
        s.Commit();
        Assert.Equal(1, calls);
        Assert.Equal(new HashSet<string> { "phase.json", "rmt-phase.html" }, Entry(_dir, "rmt phase").Files.ToHashSet());
        string html = File.ReadAllText(Path.Combine(_dir, "rmt-phase.html"));
        Assert.Contains("<b>phase</b> — 1 row", html);
        Assert.Contains("class=\"verdict\">held", html);
    }

    [Fact]
    public void ADiscardedRunLeavesThePreviousCompleteSetUntouched()
    {
        using (var s = OutputSink.Staged(_dir, OutputFormat.Json, "pca train"))
        {
            s.WriteJson("a", 1);
            s.Commit();
        }
        string before = File.ReadAllText(Path.Combine(_dir, "a.json"));
        using (var s = OutputSink.Staged(_dir, OutputFormat.Json, "pca train"))
        {
            s.WriteJson("a", 2);
            s.WriteJson("b", 3);
        } // disposed without commit (cancelled)
        Assert.Equal(before, File.ReadAllText(Path.Combine(_dir, "a.json")));
        Assert.False(File.Exists(Path.Combine(_dir, "b.json")));
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void ARerunRemovesStaleFilesOfTheSameCommandOnly()
    {
        using (var s = OutputSink.Staged(_dir, OutputFormat.Json, "reproduce"))
        {
            s.WriteJson("ocr-audit-skipped", new { skipped = true });
            s.WriteJson("synthetic", 1);
            s.Commit();
        }
        using (var s = OutputSink.Staged(_dir, OutputFormat.Json, "kpca synthetic"))
        {
            s.WriteJson("other", 1);
            s.Commit();
        }
        using (var s = OutputSink.Staged(_dir, OutputFormat.Json, "reproduce"))
        {
            s.WriteJson("ocr-audit-summary", new { ok = true });
            s.WriteJson("synthetic", 2);
            s.Commit();
        }
        Assert.False(File.Exists(Path.Combine(_dir, "ocr-audit-skipped.json")));
        Assert.True(File.Exists(Path.Combine(_dir, "ocr-audit-summary.json")));
        Assert.True(File.Exists(Path.Combine(_dir, "other.json")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_dir, "synthetic.json")));
        Assert.Equal(2, RunManifest.Load(_dir).Runs.Count);
    }

    [Fact]
    public void AManifestNamingPathsOutsideTheFolderIsNeverFollowed()
    {
        string outside = Path.Combine(_dir, "keep.txt");
        File.WriteAllText(outside, "x");
        string sub = Path.Combine(_dir, "sub");
        Directory.CreateDirectory(sub);
        File.WriteAllText(Path.Combine(sub, OutputSink.ManifestName), JsonSerializer.Serialize(new
        {
            runs = new[] { new { command = "c", complete = true, finishedUtc = DateTime.UtcNow,
                files = new[] { "../keep.txt", outside } } },
        }));
        using var s = OutputSink.Staged(sub, OutputFormat.Json, "c");
        s.WriteJson("n", 1);
        s.Commit();
        Assert.True(File.Exists(outside));
    }

    [Fact]
    public void DirectSinksStillWriteImmediately()
    {
        var s = new OutputSink(_dir);
        s.WriteJson("now", 1);
        Assert.True(File.Exists(Path.Combine(_dir, "now.json")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp-*"));
    }
}
