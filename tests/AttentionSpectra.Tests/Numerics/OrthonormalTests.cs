using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class OrthonormalTests
{
    static double[] Gaussian(Rng rng, int n)
    {
        var v = new double[n];
        rng.FillGaussian(v);
        return v;
    }

    [Fact]
    public void BasisIsOrthonormalSpansTheInputsAndDropsDependentVectors()
    {
        var rng = new Rng(7);
        int n = 30;
        var a = Gaussian(rng, n);
        var b = Gaussian(rng, n);
        var c = new double[n];
        for (int i = 0; i < n; i++) c[i] = 2 * a[i] - 3 * b[i];          // in span(a, b): must be dropped
        var d = Gaussian(rng, n);
        var inputs = new[] { a, b, c, d };
        var q = Orthonormal.Basis(inputs);
        Assert.Equal(3, q.Count);
        for (int i = 0; i < q.Count; i++)
            for (int j = 0; j < q.Count; j++)
            {
                double dot = 0;
                for (int t = 0; t < n; t++) dot += q[i][t] * q[j][t];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-13);
            }
        foreach (var x in inputs)                                         // x = sum_i (q_i . x) q_i
        {
            var r = (double[])x.Clone();
            foreach (var qi in q)
            {
                double p = 0;
                for (int t = 0; t < n; t++) p += qi[t] * x[t];
                for (int t = 0; t < n; t++) r[t] -= p * qi[t];
            }
            Assert.True(r.Max(Math.Abs) < 1e-12 * x.Max(Math.Abs));
        }
        Assert.NotSame(a, q[0]);
        Assert.Equal(a, inputs[0]);                                       // inputs untouched
    }

    [Fact]
    public void ColumnsMatchesTheOrthonormalFactorOfQr()
    {
        // Gram–Schmidt in input order gives Q of A = QR with R having a positive diagonal: check against MathNet.
        var rng = new Rng(11);
        var a = new Matrix(40, 6);
        rng.FillGaussian(a.Data);
        var q = Orthonormal.Columns(a);
        var qr = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(a.ToArray()).QR();
        var qRef = qr.Q;
        for (int j = 0; j < 6; j++)
        {
            double sign = Math.Sign(qr.R[j, j]);
            for (int i = 0; i < 40; i++) Assert.Equal(sign * qRef[i, j], q[i, j], 1e-12);
        }
        Assert.Equal(0, Orthonormal.Columns(new Matrix(5, 3)).Cols);      // zero matrix: rank 0
    }
}
