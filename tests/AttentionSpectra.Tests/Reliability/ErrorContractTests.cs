using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Tests.Cli;
using AttentionSpectra.Tests.KernelPcaAudit;

namespace AttentionSpectra.Tests.Reliability;

/// <summary>The error contract end to end (real child process): every bad input of issue 10 exits 2 with exactly one
/// `error:` line (plus at most one `hint:`), nothing on stdout, no stack trace, no .NET type names.</summary>
public class ErrorContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-rel-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private CliRunner.Result Run(params string[] args) =>
        CliRunner.Run(_dir, TimeSpan.FromMinutes(1), [.. args, "--out", Path.Combine(_dir, "out")]);

    [Theory]
    // parse-level errors: formatted, no help dump, no type names
    [InlineData("pca", "train", "--lam", "inf")]
    [InlineData("pca", "train", "--lam", "NaN")]
    [InlineData("pca", "train", "--lr", "Infinity")]
    [InlineData("version", "--format", "xml")]
    [InlineData("pca", "train", "--seed", "abc")]
    [InlineData("pca", "train", "--d", "99999999999")]
    [InlineData("pca", "train", "--no-such-option")]
    [InlineData("no-such-command")]
    [InlineData("rmt")]
    [InlineData("rmt", "phase", "--weights")]
    [InlineData("version", "--max-memory", "lots")]
    // sizes that used to overflow (OverflowException, exit 1)
    [InlineData("pca", "train", "--d", "1000000000")]
    [InlineData("pca", "landscape", "--d", "100000")]
    [InlineData("kpca", "synthetic", "--tokens", "100000")]
    [InlineData("rmt", "phase", "--V", "2000000000")]
    // memory guard
    [InlineData("pca", "train", "--d", "20", "--max-memory", "1M")]
    // strict parsing: empty items, trailing separators, too many values, combinations
    [InlineData("pca", "sweep", "--values", "3,,5")]
    [InlineData("pca", "sweep", "--values", "3,5,")]
    [InlineData("icl", "sweep", "--values", ",3")]
    [InlineData("rmt", "spectrum", "--weights", "custom", "--custom-weights", "1,2,")]
    [InlineData("rmt", "phase", "--custom-weights", "1,2,3")]
    [InlineData("kpca", "audit", "--model", "x.onnx", "--heads", "0,,1")]
    [InlineData("kpca", "audit", "--model", "x.onnx", "--layers", "1-")]
    [InlineData("kpca", "audit", "--model", "x.onnx", "--input-shape", "1,3,,320")]
    public void BadInputGivesExitTwoAndOneLine(params string[] args) => CliRunner.AssertOneError(Run(args));

    [Fact]
    public void NoArgumentsIsAUsageError() => CliRunner.AssertOneError(CliRunner.Run());

    [Fact]
    public void EmptyOutIsRejectedAndNothingIsWrittenToTheWorkingDirectory()
    {
        var r = CliRunner.Run(_dir, TimeSpan.FromMinutes(1), "pca", "landscape", "--out", "");
        CliRunner.AssertOneError(r);
        Assert.Contains("--out", r.StdErr);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void TooManyValuesIsReportedImmediately()
    {
        var r = Run("pca", "sweep", "--values", "3..100000000:1");
        CliRunner.AssertOneError(r);
        Assert.Contains("too many values", r.StdErr);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(5), $"took {r.Elapsed}");
    }

    [Fact]
    public void OverflowingSizesNameTheOptionAndTheLimit()
    {
        var r = Run("pca", "landscape", "--d", "100000");
        CliRunner.AssertOneError(r);
        Assert.Contains("hint: lower --d", r.StdErr);
        var m = Run("pca", "train", "--d", "2000", "--max-memory", "64M");
        CliRunner.AssertOneError(m);
        Assert.Matches(@"about \d+(\.\d)? (MB|GB) of memory", m.StdErr);
        Assert.Contains("64.0 MB", m.StdErr);
    }

    [Fact]
    public void TooManyCustomWeightsAreRejected()
    {
        string w = string.Join(',', Enumerable.Repeat("1", 1025));
        var r = Run("rmt", "pooling", "--custom-weights", w);
        CliRunner.AssertOneError(r);
        Assert.Contains("1024", r.StdErr);
        string file = Path.Combine(_dir, "w.txt");
        File.WriteAllLines(file, Enumerable.Repeat("1", 1025));
        var f = Run("rmt", "spectrum", "--weights", "custom", "--custom-weights", file);
        CliRunner.AssertOneError(f);
        Assert.Contains("1024", f.StdErr);
    }

    [Fact]
    public void DebugModeAddsATraceButNeverAborts()
    {
        var r = CliRunner.Run(_dir, TimeSpan.FromMinutes(1), new Dictionary<string,
            string> { ["ATTNSPEC_DEBUG"] = "1" },
            "pca", "landscape", "--d", "1", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.ErrLines[0]);
        Assert.True(CliRunner.HasStackTrace(r.StdErr), r.StdErr);
        Assert.Empty(r.StdOut);
    }

    [Fact]
    public void HelpShowsLowercaseFormatsAndNoTypeNames()
    {
        var r = CliRunner.Run("rmt", "phase", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--format <json|csv>", r.StdOut);
        Assert.DoesNotContain("Csv|Json", r.StdOut);
        Assert.Contains("--max-memory", r.StdOut);
    }

    private string TinyBertFile()
    {
        string model = Path.Combine(_dir, "bert.safetensors");
        SafeTensorsFile.Write(model, SafeTensorsTests.TinyBert(new Rng(9)));
        return model;
    }

    [Fact]
    public void OutOfRangeHeadsAndLayersNameTheValidRange()
    {
        string model = TinyBertFile();
        var h = Run("kpca", "audit", "--model", model, "--num-heads", "8", "--heads", "0,12");
        CliRunner.AssertOneError(h);
        Assert.Contains("0..7", h.StdErr);
        var l = Run("kpca", "audit", "--model", model, "--num-heads", "2", "--layers", "0,5");
        CliRunner.AssertOneError(l);
        Assert.Contains("0..1", l.StdErr);
    }

    [Fact]
    public void TokensBeyondTheModelsPositionsAreAnErrorNotClamped()
    {
        var r = Run("kpca", "audit", "--model", TinyBertFile(), "--num-heads", "2", "--tokens", "100000");
        CliRunner.AssertOneError(r);
        Assert.Contains("16 positions", r.StdErr);
    }

    [Fact]
    public void OptionsThatDoNotApplyToTheFormatAreRejected()
    {
        var r = Run("kpca", "audit", "--model", TinyBertFile(), "--input-shape", "1,3,48,320");
        CliRunner.AssertOneError(r);
        Assert.Contains("--input-shape", r.StdErr);
    }

    [Fact]
    public void OneDimensionalWordEmbeddingsAndNegativeDimsAreInputErrors()
    {
        var t = SafeTensorsTests.TinyBert(new Rng(3));
        int i = t.FindIndex(x => x.Item1.EndsWith("word_embeddings.weight"));
        t[i] = (t[i].Item1, [t[i].Item2[0] * t[i].Item2[1]], t[i].Item3);
        string oneD = Path.Combine(_dir, "oned.safetensors");
        SafeTensorsFile.Write(oneD, t);
        var r = Run("kpca", "audit", "--model", oneD, "--num-heads", "2");
        CliRunner.AssertOneError(r);
        Assert.Contains("word_embeddings", r.StdErr);

        string neg = Path.Combine(_dir, "neg.safetensors");
        SafeTensorsFile.Write(neg, SafeTensorsTests.TinyBert(new Rng(3)));
        var bytes = File.ReadAllBytes(neg);
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"shape\":[20,8]", StringComparison.Ordinal);
        Assert.True(at > 0);
        var edited = System.Text.Encoding.Latin1.GetBytes(text[..at] + "\"shape\":[-2,8]" + text[(at + 14)..]);
        // keep the header length: "-2" replaces "20" byte for byte
        File.WriteAllBytes(neg, edited);
        var n = Run("kpca", "audit", "--model", neg, "--num-heads", "2");
        CliRunner.AssertOneError(n);
        Assert.Contains("neg.safetensors", n.StdErr);
        Assert.Contains("negative", n.StdErr);
    }

    [Fact]
    public void UnboundedOnnxInputShapeIsRefusedBeforeAnyWork()
    {
        string? ocr = KpcaCommands.FindOcrModel();
        if (ocr == null) return; // installed by scripts/get-ocr-model.sh (CI installs it)
        var r = Run("kpca", "audit", "--model", ocr, "--input-shape", "1,3,48,100000");
        CliRunner.AssertOneError(r);
        Assert.Contains("memory", r.StdErr);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(10), $"took {r.Elapsed}");
    }

    [Fact]
    public void TablesOnAPipeAreTabSeparatedAndNotWrapped()
    {
        var r = CliRunner.Run(_dir, TimeSpan.FromMinutes(2), "pca", "sweep", "--over", "L", "--values", "3,5",
            "--steps", "20",
            "--seeds", "2", "--batch", "8", "--lr", "0.0001", "--lam", "0.1", "--out", Path.Combine(_dir, "o"));
        Assert.True(r.ExitCode == 0, r.All);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int header = Array.FindIndex(lines, l => l.StartsWith("L\t"));
        Assert.True(header >= 0, r.StdOut);
        int cols = lines[header].Split('\t').Length;
        Assert.Contains("lr", lines[header].Split('\t'));
        var rows = lines.Skip(header + 1).TakeWhile(l => !l.StartsWith('#') && !l.StartsWith("wrote")).ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(cols, row.Split('\t').Length);
            Assert.Contains("0.0001", row.Split('\t'));
        }
    }

    [Fact]
    public void LongWorkShowsProgressWithinASecondOfStarting()
    {
        // Baseline: start-up of the .NET host and the CLI on this (possibly loaded) machine.
        var baseline = CliRunner.Run(_dir, TimeSpan.FromMinutes(1), "version").Elapsed;
        using var run = CliRunner.Start(_dir, null, "pca", "train", "--d", "3000", "--steps", "1", "--seeds", "1",
            "--out", Path.Combine(_dir, "o"));
        var first = run.WaitForErrLine(_ => true, TimeSpan.FromSeconds(60));
        Assert.NotNull(first);
        Assert.True(first < baseline + TimeSpan.FromSeconds(2),
            $"first progress line after {first}, start-up {baseline}");
    }
}
