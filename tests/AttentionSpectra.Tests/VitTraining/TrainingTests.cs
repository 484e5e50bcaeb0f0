using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.VitTraining;

namespace AttentionSpectra.Tests.VitTraining;

/// <summary>Training on the shipped digits: accuracy, determinism by seed, the probe trace and the data
/// loaders.</summary>
public sealed class TrainingTests
{
    [Fact]
    public void Digits_ShortRun_LearnsAndProbesEveryHead()
    {
        var rng = new Rng(1);
        var data = ImageDataset.Digits(rng.Split(0));
        Assert.Equal(1797, data.TrainImages.Rows + data.TestImages.Rows);
        Assert.Equal(359, data.TestImages.Rows);
        var cfg = new VitConfig();
        var opt = new VitTrainingOptions(Steps: 300, ProbeEvery: 150, ProbeImages: 4);
        var r = VitTrainer.Train(data, cfg, opt, rng.Split(1));
        // 300 of the default 1500 steps already separate the classes well (chance is 10%); the default run itself
        // (95.3%) is CliTrainTests.DefaultDigitsRunReachesItsStatedAccuracy.
        Assert.True(r.FinalTestAccuracy >= 0.85, $"test accuracy {r.FinalTestAccuracy:P1} after 300 steps");
        Assert.Equal([0, 150, 300], r.Trace.Select(p => p.Step));
        Assert.True(r.Trace[^1].TrainLoss < 0.5 * Math.Log(10), $"train loss {r.Trace[^1].TrainLoss}");
        foreach (var p in r.Trace)
        {
            Assert.Equal(cfg.Layers * cfg.Heads, p.Heads.Count);
            foreach (var h in p.Heads)
            {
                Assert.InRange(h.LinearCka, 0, 1 + 1e-9);
                Assert.InRange(h.AttentionEntropy, 0, Math.Log(cfg.Tokens) + 1e-9);
                Assert.True(double.IsFinite(h.Log10PhiTerm) && double.IsFinite(h.Log10HTerm));
            }
        }
    }

    [Fact]
    public void SameSeed_SameRun_OtherSeed_OtherRun()
    {
        var data = ImageDataset.Digits(new Rng(3));
        var cfg = new VitConfig(Dim: 16, Heads: 2, Layers: 1, MlpDim: 16, StandardizeQk: true);
        var opt = new VitTrainingOptions(Steps: 12, Batch: 8, ProbeEvery: 12, ProbeImages: 2);
        var a = VitTrainer.Train(data, cfg, opt, new Rng(9));
        var b = VitTrainer.Train(data, cfg, opt, new Rng(9));
        var c = VitTrainer.Train(data, cfg, opt, new Rng(10));
        for (int i = 0; i < a.Model.Parameters.Count; i++)
            Assert.Equal(a.Model.Parameters[i].Value.Data, b.Model.Parameters[i].Value.Data);
        Assert.NotEqual(a.Model.Parameters[0].Value.Data, c.Model.Parameters[0].Value.Data);
        Assert.Equal(a.Trace[^1].Heads.Select(h => h.LinearCka), b.Trace[^1].Heads.Select(h => h.LinearCka));
    }

    [Fact]
    public void StandardizedQk_CapturedQueriesHaveZeroMeanUnitVariance()
    {
        var data = ImageDataset.Digits(new Rng(3));
        var model = new VitModel(new VitConfig(Dim: 16, Heads: 2, Layers: 1, MlpDim: 16, StandardizeQk: true),
            new Rng(2));
        var images = new Matrix(2, 64);
        data.TestImages.RowReadOnly(0).CopyTo(images.Row(0));
        data.TestImages.RowReadOnly(1).CopyTo(images.Row(1));
        var q = model.Capture(images)[0][1][1].Q;
        for (int i = 0; i < q.Rows; i++)
        {
            var row = q.RowReadOnly(i).ToArray();
            Assert.Equal(0, row.Average(), 1e-12);
            Assert.Equal(1, row.Select(x => x * x).Average(), 1e-4);
        }
    }

    [Fact]
    public void IdxReader_ReadsImagesAndLabels()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attnspec-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // Two 2x2 images and their labels, the second file gzipped as Debian ships them.
            byte[] img = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 51, 102, 10, 20, 30, 40];
            byte[] lab = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3];
            File.WriteAllBytes(Path.Combine(dir, "i.idx"), img);
            using (var fs = File.Create(Path.Combine(dir, "l.idx.gz")))
            using (var gz = new System.IO.Compression.GZipStream(fs, System.IO.Compression.CompressionLevel.Fastest))
                gz.Write(lab);
            var m = ImageDataset.ReadIdxImages(Path.Combine(dir, "i.idx"), 10, out int side);
            Assert.Equal(2, side);
            Assert.Equal(2, m.Rows);
            Assert.Equal([-1.0, 1.0, 51 / 127.5 - 1, 102 / 127.5 - 1], m.RowReadOnly(0).ToArray());
            Assert.Equal([7, 3], ImageDataset.ReadIdxLabels(Path.Combine(dir, "l.idx.gz"), 10));
            Assert.Single(ImageDataset.ReadIdxLabels(Path.Combine(dir, "l.idx.gz"), 1));
            Assert.Throws<InvalidDataException>(() => ImageDataset.ReadIdxImages(Path.Combine(dir, "l.idx.gz"), 10,
                out _));
        }
        finally { Directory.Delete(dir, true); }
    }
}
