using AttentionSpectra.Models;

namespace AttentionSpectra.Tests.Models;

public class BuiltinModelsTests
{
    [Fact]
    public void MiniLm_ShipsWithTheBertUncasedVocabulary()
    {
        var vocab = BuiltinModels.MiniLmVocabulary();
        Assert.Equal(30522, vocab.Length);
        // ids of the uncased BERT vocabulary: [CLS]=101, [SEP]=102, hello=7592, world=2088
        Assert.Equal("[CLS]", vocab[101]);
        Assert.Equal("[SEP]", vocab[102]);
        Assert.Equal("hello", vocab[7592]);
        Assert.Equal("world", vocab[2088]);
        var onnx = BuiltinModels.MiniLmOnnx();
        Assert.True(onnx.Length > 80_000_000);
    }
}
