using System.Text.Json;
using AttentionSpectra.Cli;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Cli;

/// <summary><c>rmt spectrum --table</c> in-process through the CLI host: the table's covariance spectrum against MathNet
/// on the centred table, the spike fit on a table with one planted spike, and bad tables or ranks exit 2.</summary>
public sealed class RmtTableCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static int Run(params string[] args) => CliHost.Run(CliApp.BuildRoot(), args);

    /// <summary>V x d table with rows g + sqrt(theta) h u (g ~ N(0, I), h ~ N(0, 1), u = e_1): population covariance
    /// I + theta e_1 e_1'.</summary>
    private string Table(int v, int d, double theta, ulong seed, out Matrix table)
    {
        var rng = new Rng(seed);
        table = new Matrix(v, d);
        rng.FillGaussian(table.Data);
        for (int i = 0; i < v; i++) table[i, 0] += Math.Sqrt(theta) * rng.NextGaussian();
        string path = Path.Combine(_dir, $"table{seed}.npy");
        Npy.Write(path, table);
        return path;
    }

    private static JsonElement Fit(string outDir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "rmt",
        "table-spectrum-summary.json"))).RootElement.GetProperty("fit");

    [Fact]
    public void IsotropicTable_HasNoSpikes_AndItsSpectrumMatchesMathNet()
    {
        string path = Table(300, 40, 0, 1, out var t);
        string o = Path.Combine(_dir, "iso");
        Assert.Equal(0, Run("rmt", "spectrum", "--table", path, "--N", "120", "--out", o, "--quiet"));
        var fit = Fit(o);
        Assert.Equal(0, fit.GetProperty("rank").GetInt32());
        // sigma^2 = mean eigenvalue of the centred covariance; E = (V-1)/V for unit entries, SE about 1/sqrt(V d)
        Assert.Equal(299.0 / 300, fit.GetProperty("noise_level").GetDouble(), 0.05);
        var z = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(300, 40, (i, j) => t[i, j]);
        var means = z.ColumnSums() / 300;
        var zc = z - MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(300, 40, (i, j) => means[j]);
        var w = zc.TransposeThisAndMultiply(zc) / 300;
        var oracle = w.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues.Select(c => c.Real)
            .OrderDescending().Take(20).ToArray();
        var got = fit.GetProperty("table_top_eigenvalues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(20, got.Length);
        for (int i = 0; i < 20; i++) Assert.Equal(oracle[i], got[i], 1e-10);
    }

    [Fact]
    public void PlantedSpike_IsFoundAndDebiased_OrTakenAtTheGivenRank()
    {
        const double theta = 4; // population spike 1 + theta = 5, far above the edge (1 + sqrt(d/V))^2 = 1.86
        string path = Table(400, 40, theta, 2, out _);
        string o = Path.Combine(_dir, "spike");
        Assert.Equal(0, Run("rmt", "spectrum", "--table", path, "--N", "120", "--out", o, "--quiet"));
        var fit = Fit(o);
        Assert.Equal(1, fit.GetProperty("rank").GetInt32());
        double tau = fit.GetProperty("spikes")[0].GetDouble();
        // the top sample eigenvalue of V = 400 rows scatters by about tau sqrt(2/V) = 0.35 around its mean
        Assert.InRange(tau, 5 - 1.2, 5 + 1.2);
        string o2 = Path.Combine(_dir, "rank3");
        Assert.Equal(0, Run("rmt", "spectrum", "--table", path, "--table-rank", "3", "--N", "120", "--out", o2,
            "--quiet"));
        Assert.Equal(3, Fit(o2).GetProperty("rank").GetInt32());
        Assert.Equal(tau, Fit(o2).GetProperty("spikes")[0].GetDouble(), 0.5);
    }

    [Fact]
    public void BadTablesAndRanks_ExitWith2()
    {
        string path = Table(50, 6, 0, 3, out _);
        string o = Path.Combine(_dir, "bad");
        Assert.Equal(2, Run("rmt", "spectrum", "--table", path, "--table-rank", "-2", "--out", o, "--quiet"));
        Assert.Equal(2, Run("rmt", "spectrum", "--table", path, "--table-rank", "6", "--out", o, "--quiet"));
        string csv = Path.Combine(_dir, "t.csv");
        File.WriteAllText(csv, "1,2\n3,4\n");
        Assert.Equal(2, Run("rmt", "spectrum", "--table", csv, "--out", o, "--quiet"));
        string thin = Path.Combine(_dir, "thin.npy");
        Npy.Write(thin, new Matrix(1, 5));
        Assert.Equal(2, Run("rmt", "spectrum", "--table", thin, "--out", o, "--quiet"));
        Assert.Equal(2, Run("rmt", "spectrum", "--table", Path.Combine(_dir, "missing.npy"), "--out", o, "--quiet"));
        Assert.False(File.Exists(Path.Combine(o, "rmt", "table-spectrum-summary.json")));
    }
}
