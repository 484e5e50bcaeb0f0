namespace AttentionSpectra.Numerics;

/// <summary>Random-matrix samplers built on <see cref="Rng"/>.</summary>
public static class Samplers
{
    /// <summary>rows x cols matrix of iid N(0, 1) entries.</summary>
    public static Matrix Gaussian(Rng rng, int rows, int cols)
    {
        var m = new Matrix(rows, cols);
        rng.FillGaussian(m.Data);
        return m;
    }

    /// <summary>n samples (rows) of N(0, Sigma) via the Cholesky factor of Sigma.</summary>
    public static Matrix MultivariateNormal(Rng rng, Matrix sigma, int n)
    {
        var l = Cholesky.Factor(sigma);
        var z = Gaussian(rng, n, sigma.Rows);
        return Blas.Multiply(z, l, transB: true); // rows z_i' L'  => x_i = L z_i
    }

    /// <summary>Wishart W_d(Sigma, n) = sum_{r=1..n} x_r x_r', x_r ~ N(0, Sigma) (unnormalised scatter matrix).</summary>
    public static Matrix Wishart(Rng rng, Matrix sigma, int n)
    {
        var x = MultivariateNormal(rng, sigma, n);
        return Blas.Gram(x, trans: true);
    }

    /// <summary>Spiked covariance V = noise^2 I + theta v v' (|v| = 1).</summary>
    public static Matrix SpikedCovariance(ReadOnlySpan<double> v, double noiseStd, double theta)
    {
        int d = v.Length;
        double norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (!(norm > 0)) throw new NumericsException("Spike direction must be non-zero and finite.");
        var m = new Matrix(d, d);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) m[i, j] = theta * v[i] * v[j] / (norm * norm);
            m[i, i] += noiseStd * noiseStd;
        }
        return m;
    }

    /// <summary>n samples of the spiked model x = noise * g + sqrt(theta) * s * v, s ~ N(0,1): covariance
    /// noise^2 I + theta v v' (v normalised), without forming a Cholesky factor.</summary>
    public static Matrix SpikedSamples(Rng rng, ReadOnlySpan<double> v, double noiseStd, double theta, int n)
    {
        int d = v.Length;
        double norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (!(norm > 0)) throw new NumericsException("Spike direction must be non-zero and finite.");
        var x = new Matrix(n, d);
        double st = Math.Sqrt(theta) / norm;
        for (int r = 0; r < n; r++)
        {
            var row = x.Row(r);
            rng.FillGaussian(row, 0, noiseStd);
            double s = rng.NextGaussian() * st;
            for (int i = 0; i < d; i++) row[i] += s * v[i];
        }
        return x;
    }
}
