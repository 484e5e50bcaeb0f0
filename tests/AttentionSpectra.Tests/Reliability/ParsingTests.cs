using AttentionSpectra.Cli;

namespace AttentionSpectra.Tests.Reliability;

/// <summary>Strict list/range/index/shape/size parsing.</summary>
public class ParsingTests
{
    [Theory]
    [InlineData("3,,5")]
    [InlineData("3,5,")]
    [InlineData(",3")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("3..1")]
    [InlineData("3..5:0")]
    [InlineData("3..5:-1")]
    [InlineData("1..2..3")]
    [InlineData("3..5:1:2")]
    [InlineData("inf")]
    [InlineData("NaN")]
    [InlineData("1e400")]
    public void BadValueListsAreRejected(string text) =>
        Assert.Throws<ArgumentException>(() => Parsing.Values(text, "--values"));

    [Fact]
    public void RangesExpandInclusivelyAndCountBeforeExpanding()
    {
        Assert.Equal([3.0, 5, 7, 9], Parsing.Values("3..9:2", "--values"));
        Assert.Equal([1.0, 2, 10], Parsing.Values(" 1..2 , 10", "--values"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<ArgumentException>(() => Parsing.Values("0..1e15:1", "--values"));
        Assert.True(sw.ElapsedMilliseconds < 100, $"{sw.ElapsedMilliseconds} ms");
        Assert.Contains("too many values", e.Message);
        Assert.Equal(Parsing.MaxListValues, Parsing.Values("1..200", "--values").Count);
        Assert.Throws<ArgumentException>(() => Parsing.Values("1..200,5", "--values"));
    }

    [Theory]
    [InlineData("0,,1")]
    [InlineData("0,")]
    [InlineData("-1")]
    [InlineData("2-1")]
    [InlineData("1-")]
    [InlineData("a")]
    [InlineData("0-99999999999")]
    [InlineData("100001")]
    [InlineData("")]
    public void BadIndexSetsAreRejected(string text) =>
        Assert.Throws<ArgumentException>(() => Parsing.IndexSet(text, "--heads"));

    [Fact]
    public void IndexSetsAndRangeChecks()
    {
        Assert.Null(Parsing.IndexSet(null, "--heads"));
        Assert.Equal([0, 2, 3, 4], Parsing.IndexSet("0,2-4,3", "--heads")!);
        var e = Assert.Throws<ArgumentException>(() => Parsing.CheckIndices(new HashSet<int> { 0, 12 }, 8, "--heads",
            "heads"));
        Assert.Contains("12", e.Message);
        Assert.Contains("0..7", e.Message);
        Parsing.CheckIndices(new HashSet<int> { 0, 7 }, 8, "--heads", "heads");
    }

    [Theory]
    [InlineData("1,3,,320")]
    [InlineData("1,3,48,0")]
    [InlineData("1,3,48,-5")]
    [InlineData("1,3,65536,65536")]
    [InlineData("1,3,48,320,")]
    public void BadShapesAreRejected(string text) =>
        Assert.Throws<ArgumentException>(() => Parsing.Shape(text, "--input-shape"));

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("4K", 4096L)]
    [InlineData("1.5G", 1610612736L)]
    [InlineData("512MiB", 536870912L)]
    [InlineData("2gb", 2147483648L)]
    public void ByteSizes(string text, long expected) => Assert.Equal(expected, Parsing.ParseByteSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("12Q")]
    [InlineData("9999999999T")]
    public void BadByteSizes(string text) => Assert.Throws<ArgumentException>(() => Parsing.ParseByteSize(text));
}
