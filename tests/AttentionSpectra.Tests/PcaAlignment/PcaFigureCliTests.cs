using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;
using AttentionSpectra.Tests.Cli;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary><c>pca figure</c> through the real executable: a --sigma file, the exports, and bad input.</summary>
public class PcaFigureCliTests
{
    [Fact]
    public void FigureWithSigmaFileMatchesTheLibraryAndExportsItsParameters()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-fig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var sigma = new Matrix(3, 3, [3.0, 0.5, 0.1, 0.5, 2.0, 0.2, 0.1, 0.2, 1.0]);
            File.WriteAllText(Path.Combine(dir, "sigma.csv"), "3,0.5,0.1\n0.5,2,0.2\n0.1,0.2,1\n");
            var r = CliRunner.Run(dir, TimeSpan.FromMinutes(2), "pca", "figure", "fig3b", "--sigma", "sigma.csv",
                "--steps", "200",
                "--seeds", "2", "--seed", "4", "--out", "o", "--quiet");
            Assert.True(r.ExitCode == 0, r.All);
            var lib = PaperFigures.Run(PaperFigures.Apply(PaperFigures.FindPca("fig3b")!,
                new FigureOverrides(Sigma: sigma, Steps: 200, Seeds: 2)), 4);
            for (int s = 0; s < 2; s++)
            {
                var p = Npy.Read(Path.Combine(dir, "o", "pca", $"fig3b_seed{s}_params.npy"));
                Assert.Equal(lib.Train!.Runs[s].Trace.FinalParameters, p.Data);
                Assert.Equal(sigma.Data, Npy.Read(Path.Combine(dir, "o", "pca", $"fig3b_seed{s}_sigma.npy")).Data);
            }
            var md = File.ReadAllText(Path.Combine(dir, "o", "pca", "fig3b_table.md"));
            Assert.Contains("attnspec pca figure fig3b --sigma sigma.csv --steps 200 --seeds 2 --seed 4", md);

            File.WriteAllText(Path.Combine(dir, "bad.csv"), "1,2\n0,1\n");
            var bad = CliRunner.Run(dir, TimeSpan.FromMinutes(2), "pca", "figure", "fig3b", "--sigma", "bad.csv",
                "--quiet");
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("not symmetric", bad.All);
            Assert.False(CliRunner.HasStackTrace(bad.All));
            var unknown = CliRunner.Run(dir, TimeSpan.FromMinutes(2), "pca", "figure", "fig99", "--quiet");
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("fig3b", unknown.All);
        }
        finally { Directory.Delete(dir, true); }
    }
}
