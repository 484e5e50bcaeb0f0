using AttentionSpectra.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Shared helpers for the eigensolver tests: invariants (residual, orthogonality) and the MathNet oracle.</summary>
internal static class EigenTestUtil
{
    /// <summary>max_{i,j} |(A V)_{ij} - l_j V_{ij}|, computed with plain loops (independent of the library kernels).</summary>
    public static double MaxResidual(Matrix a, EigenDecomposition ed)
    {
        int n = a.Rows, k = ed.Values.Length;
        double worst = 0;
        for (int j = 0; j < k; j++)
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int l = 0; l < n; l++) s += a[i, l] * ed.Vectors[l, j];
                worst = Math.Max(worst, Math.Abs(s - ed.Values[j] * ed.Vectors[i, j]));
            }
        return worst;
    }

    /// <summary>Sorted eigenvalues of <paramref name="a"/> through the two-stage reduction and dsterf.</summary>
    public static double[] TwoStageValues(Matrix a)
    {
        var (d, e) = TwoStageTridiagonal.Reduce(a);
        var vals = Tridiagonal.BlockEigenvalues(d, e, 0, d.Length);
        Array.Sort(vals);
        return vals;
    }

    /// <summary>max_i |x_i - y_i| (the lengths must agree).</summary>
    public static double MaxAbsDiff(double[] x, double[] y)
    {
        Assert.Equal(x.Length, y.Length);
        double m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }

    /// <summary>Runs the two-stage reduction on a pool task with its bulge chasing on two workers (at any size) and
    /// asserts that the call ends within 60 s, i.e. that no worker is left waiting on the other; returns the ended
    /// task. The second worker is a thread-pool task too: the pool's minimum is raised to 8 threads so that it starts
    /// at once even while other test classes keep the pool busy (otherwise it may start only after the first worker
    /// has ended, and nothing is ever waited on).</summary>
    public static async Task<Task<(double[] D, double[] E)>> ReduceOnTwoChaseWorkers(Matrix a,
        IProgress<ProgressUpdate> progress, CancellationToken cancellationToken = default)
    {
        int saved = TwoStageTridiagonal.ParallelChaseMinimum;
        try
        {
            TwoStageTridiagonal.ParallelChaseMinimum = 0;
            ThreadPool.GetMinThreads(out int workers, out int io);
            ThreadPool.SetMinThreads(Math.Max(workers, 8), io);
            var run = Task.Run(() => TwoStageTridiagonal.Reduce(a, progress, cancellationToken));
            // (the wait itself is not cancelled with the token: the call must end by itself)
            var first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60), CancellationToken.None));
            Assert.True(ReferenceEquals(run, first), "the two-worker bulge chasing did not end within 60 s (deadlock)");
            return run;
        }
        finally { TwoStageTridiagonal.ParallelChaseMinimum = saved; }
    }

    /// <summary>max |V'V - I|.</summary>
    public static double Orthogonality(Matrix v)
    {
        int n = v.Rows, k = v.Cols;
        double worst = 0;
        for (int a = 0; a < k; a++)
            for (int b = a; b < k; b++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += v[i, a] * v[i, b];
                worst = Math.Max(worst, Math.Abs(s - (a == b ? 1 : 0)));
            }
        return worst;
    }

    public static Matrix RandomSymmetric(Rng rng, int n)
    {
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) { double x = rng.NextGaussian(); a[i, j] = x; a[j, i] = x; }
        return a;
    }

    /// <summary>Q diag(values) Q' with Q a random orthogonal matrix (MathNet QR of a Gaussian matrix).</summary>
    public static Matrix WithSpectrum(Rng rng, double[] values)
    {
        int n = values.Length;
        var g = Samplers.Gaussian(rng, n, n);
        var q = Matrix<double>.Build.DenseOfArray(g.ToArray()).QR().Q;
        var a = q * Matrix<double>.Build.DiagonalOfDiagonalArray(values) * q.Transpose();
        var m = Matrix.FromArray(a.ToArray());
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) { double s = 0.5 * (m[i, j] + m[j, i]); m[i, j] = s; m[j, i] = s; }
        return m;
    }

    public static double[] OracleValues(Matrix a) =>
        Matrix<double>.Build.DenseOfArray(a.ToArray()).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();

    public static MathNet.Numerics.LinearAlgebra.Factorization.Evd<double> Oracle(Matrix a) =>
        Matrix<double>.Build.DenseOfArray(a.ToArray()).Evd(Symmetricity.Symmetric);

    /// <summary>Checks ordering, residual, orthogonality and trace for a full decomposition.</summary>
    public static void AssertValidFull(Matrix a, EigenDecomposition ed, double orthTol = 1e-10)
    {
        int n = a.Rows;
        Assert.Equal(n, ed.Values.Length);
        Assert.Equal(n, ed.Vectors.Rows);
        Assert.Equal(n, ed.Vectors.Cols);
        double fro = Math.Max(a.FrobeniusNorm(), double.Epsilon);
        for (int i = 1; i < n; i++) Assert.True(ed.Values[i] >= ed.Values[i - 1], $"values not ascending at {i}");
        Assert.InRange(MaxResidual(a, ed), 0, 1e-10 * fro);
        Assert.InRange(Orthogonality(ed.Vectors), 0, orthTol);
        Assert.InRange(Math.Abs(ed.Values.Sum() - a.Trace()), 0, 1e-10 * fro * Math.Max(1, Math.Sqrt(n)));
    }
}
