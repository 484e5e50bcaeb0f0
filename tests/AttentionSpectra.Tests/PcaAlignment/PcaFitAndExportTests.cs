using System.Text.Json;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary><c>pca fit</c> against classical PCA on data with a known spectrum, the .npy exports, and the docs tables
/// regenerated from the figure commands.</summary>
public class PcaFitAndExportTests
{
    private static readonly double[] Spectrum = [9, 4, 1, 0.5, 0.25, 0.1];

    /// <summary>n rows z diag(sqrt(lambda)) Q' with Q a random orthogonal matrix: population covariance Q Lambda
    /// Q'.</summary>
    private static (Matrix Data, MathNet.Numerics.LinearAlgebra.Matrix<double> Q) KnownSpectrumData(int n, ulong seed)
    {
        int d = Spectrum.Length;
        var rng = new Rng(seed);
        var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(d, d, (i, j) => 0);
        var buf = new double[d * d]; rng.FillGaussian(buf);
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) a[i, j] = buf[i * d + j];
        var q = a.QR().Q;
        var z = new double[n * d]; rng.Split(1).FillGaussian(z);
        var x = new Matrix(n, d);
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int c = 0; c < d; c++) s += z[r * d + c] * Math.Sqrt(Spectrum[c]) * q[j, c];
                x[r, j] = s;
            }
        return (x, q);
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-fit-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void FitOnAFileWithAKnownSpectrumAgreesWithClassicalPca()
    {
        var (data, q) = KnownSpectrumData(4000, 21);
        var dir = TempDir();
        try
        {
            // Through a file, as `pca fit --data` reads it: .npy and CSV give the same matrix.
            Npy.Write(Path.Combine(dir, "rows.npy"), data);
            File.WriteAllLines(Path.Combine(dir, "rows.csv"), Enumerable.Range(0, data.Rows).Select(i =>
                string.Join(',', data.RowReadOnly(i).ToArray().Select(v => v.ToString("R",
                    System.Globalization.CultureInfo.InvariantCulture)))));
            var fromNpy = MatrixFile.Read(Path.Combine(dir, "rows.npy"));
            var fromCsv = MatrixFile.Read(Path.Combine(dir, "rows.csv"));
            Assert.Equal(data.Data, fromNpy.Data);
            Assert.Equal(data.Data, fromCsv.Data);

            // Classical PCA part vs MathNet's eigen-decomposition of the centred sample covariance.
            var gd = DataFit.Run(fromNpy, new DataFitOptions(Rank: 2, Lam: 0.1, Lr: 1e-2, Steps: 8000, Seeds: 2,
                Head: TrainHead.Infinite, Init: InitLaw.Unit), 5);
            var xm = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(data.Rows, data.Cols, (i, j) => data[i,
                j]);
            var means = xm.ColumnSums() / data.Rows;
            var xc = xm - MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(data.Rows, data.Cols, (i, j)
                => means[j]);
            var cov = xc.TransposeThisAndMultiply(xc) / data.Rows;
            var ev = cov.Evd().EigenValues.Select(c => c.Real).OrderByDescending(v => v).ToArray();
            Assert.True(TestUtil.MaxAbsDiff(ev, gd.Eigenvalues) < 1e-10 * ev[0]);
            // The sample spectrum is the known one within sampling error (relative sd sqrt(2/n) = 2.2%; allow 5 sd).
            for (int i = 0; i < Spectrum.Length; i++) Assert.InRange(gd.Eigenvalues[i] / Spectrum[i], 1 - 0.11, 1
                + 0.11);
            // GD on R_inf with the sample covariance recovers the top-2 PCA span exactly.
            foreach (var run in gd.Runs)
            {
                var cosines = string.Join(", ", run.PrincipalCosines);
                Assert.True(run.PrincipalCosines.Min() > 1 - 1e-6, $"seed {run.Seed}: {cosines}");
                Assert.Equal(gd.ExplainedVariancePca, run.ExplainedVarianceHead, 5);
                Assert.All(run.ComponentAlignment, a => Assert.True(a > 1 - 1e-6));
            }
            // Softmax SGD on prompts of data rows (Gaussian rows): the learned direction is the top PC.
            var sgd = DataFit.Run(fromCsv, new DataFitOptions(Rank: 1, L: 50, Lam: 0.05, Lr: 2e-3, Steps: 600,
                Batch: 64, Seeds: 1), 5);
            Assert.True(sgd.Runs[0].Trace.Alignment[^1] > 0.99,
                $"softmax fit alignment {sgd.Runs[0].Trace.Alignment[^1]}");
            // and the top PC of the sample is close to the population one (gap 9 vs 4).
            double c = Math.Abs(Enumerable.Range(0, 6).Sum(i => sgd.Eigenvectors[0][i] * q[i, 0]));
            Assert.True(c > 0.99, $"top sample PC vs population: {c}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ExportsRoundTripAndReproduceTheFinalRisks()
    {
        var dir = TempDir();
        try
        {
            var o = PcaTrainOptions.Reference(TrainHead.Infinite) with { Seeds = 2, Steps = 300, Rank = 2 };
            var r = PcaExperiments.Train(o, 13);
            var sink = new OutputSink(dir);
            string index = PcaFigureReports.WriteExports(r, sink, "t");
            var idx = JsonSerializer.Deserialize<HeadExportIndex>(File.ReadAllText(index), OutputSink.JsonOptions)!;
            Assert.Equal(2, idx.Runs.Count);
            foreach (var (e, run) in idx.Runs.Zip(r.Runs))
            {
                var p = Npy.Read(Path.Combine(dir, e.Parameters));
                Assert.Equal(new[] { 2, 5 }, p.Shape);
                Assert.Equal(run.Trace.FinalParameters, p.Data);
                var sigma = Npy.Read(Path.Combine(dir, e.Sigma!)).ToMatrix();
                Assert.Equal(run.Sigma!.Data, sigma.Data);
                var vals = Npy.Read(Path.Combine(dir, e.Eigenvalues)).Data;
                var vecs = Npy.Read(Path.Combine(dir, e.Eigenvectors!)).ToMatrix();
                // Eigenpairs: Sigma u_i = lambda_i u_i for the exported rows.
                for (int i = 0; i < 5; i++)
                {
                    var u = vecs.RowReadOnly(i).ToArray();
                    var su = sigma.Multiply(u);
                    Assert.True(TestUtil.MaxAbsDiff(su, u.Select(x => x * vals[i]).ToArray()) < 1e-10 * vals[0]);
                }
                // Anyone can recompute the final risk from the files.
                Assert.Equal(e.FinalRisk, ClosedForms.RInfRankK(sigma, p.Data, 2, idx.Lam), 12);
                Assert.Equal(run.InitialParameters, Npy.Read(Path.Combine(dir, e.Init!)).Data);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void IclExportsRoundTripAndReproduceTheFinalRisk()
    {
        var dir = TempDir();
        try
        {
            var o = new IclOptions(Head: TrainHead.Infinite, Steps: 200, Seeds: 2, Init: InitLaw.Unit);
            var r = IclExperiments.Train(o, 17);
            string index = PcaFigureReports.WriteExports(r, new OutputSink(dir), "i");
            var idx = JsonSerializer.Deserialize<HeadExportIndex>(File.ReadAllText(index), OutputSink.JsonOptions)!;
            foreach (var (e, run) in idx.Runs.Zip(r.Runs))
            {
                var mu = Npy.Read(Path.Combine(dir, e.Parameters)).Data;
                var v = Npy.Read(Path.Combine(dir, $"i_seed{run.Seed}_spike.npy")).Data;
                Assert.Equal(run.Trace.FinalParameters, mu);
                Assert.Equal(e.FinalRisk, ClosedForms.RIcl(mu, v, o.N, o.Xi, o.Theta, o.Lam), 12);
                // V = xi^2 I + theta v v': top eigenpair (xi^2 + theta, +-v).
                var vals = Npy.Read(Path.Combine(dir, e.Eigenvalues)).Data;
                var vecs = Npy.Read(Path.Combine(dir, e.Eigenvectors!)).ToMatrix();
                Assert.Equal(o.Xi * o.Xi + o.Theta, vals[0], 12);
                Assert.Equal(1.0, Math.Abs(vecs.RowReadOnly(0).ToArray().Zip(v, (a, b) => a * b).Sum()), 12);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, relative);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException(relative);
    }

    /// <summary>The block between &lt;!-- table:NAME --&gt; and &lt;!-- /table:NAME --&gt; in
    /// docs/study-a.md.</summary>
    private static string DocsTable(string name)
    {
        var text = File.ReadAllText(RepoFile(Path.Combine("docs", "study-a.md"))).Replace("\r\n", "\n",
            StringComparison.Ordinal);
        string open = $"<!-- table:{name} -->\n", close = $"<!-- /table:{name} -->";
        int a = text.IndexOf(open, StringComparison.Ordinal), b = text.IndexOf(close, StringComparison.Ordinal);
        Assert.True(a >= 0 && b > a, $"docs/study-a.md has no table block for {name}");
        return text[(a + open.Length)..b].Trim();
    }

    [Theory]
    [InlineData("fig3b")]
    [InlineData("fig4b")]
    public void DocsTablesOfTheCheapFiguresAreRegeneratedByTheFigureCommand(string name)
    {
        const ulong seed = 20261123;
        var r = PaperFigures.Run(PaperFigures.FindPca(name)!, seed);
        var md = PcaFigureReports.Markdown(r, $"attnspec pca figure {name} --seed {seed}").Trim();
        Assert.Equal(DocsTable(name), md);
    }

    [Fact]
    public void DocsTableOfFig7bIsRegeneratedByTheFigureCommand()
    {
        const ulong seed = 20261123;
        var r = PaperFigures.Run(PaperFigures.FindIcl("fig7b")!, seed);
        Assert.Equal(DocsTable("fig7b"), PcaFigureReports.Markdown(r,
            $"attnspec icl figure fig7b --seed {seed}").Trim());
    }
}
