using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class SmokeTests
{
    [Fact]
    public void EigenvaluesMatchMathNetOracle()
    {
        var rng = new Rng(1);
        var g = Samplers.Gaussian(rng, 60, 60);
        var a = Blas.Gram(g);
        var ours = SymmetricEigen.Eigenvalues(a);
        var oracle = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(a.ToArray()).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric)
            .EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
        double scale = a.FrobeniusNorm();
        for (int i = 0; i < ours.Length; i++) Assert.InRange(Math.Abs(ours[i] - oracle[i]), 0, 1e-10 * scale);
    }
}
