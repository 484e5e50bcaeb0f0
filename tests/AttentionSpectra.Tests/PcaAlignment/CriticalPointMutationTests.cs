using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary>Critical points of R_inf (docs/theory.md, Study A) where the classification is delicate: repeated
/// eigenvalues give zero Hessian eigenvalues (degenerate points, saddles with a flat direction), the derived
/// spectrum {8 λ λ_i²} ∪ {2 λ λ_j (λ_i − λ_j)} decides each kind; names, ordering, signs and the input checks.</summary>
public class CriticalPointMutationTests
{
    /// <summary>Σ = diag(3, 3, 1): at ±u1, ±u2 the Hessian spectrum {72λ, 0, 4λ} has a zero (degenerate, not a
    /// minimum), at ±u3 {8λ, −12λ, −12λ} (strict saddle), at 0 all negative; no local minimum, so none is global.</summary>
    [Fact]
    public void RepeatedTopEigenvalueGivesDegeneratePoints()
    {
        double lam = 0.5;
        var cps = CriticalPoints.Enumerate(Matrix.Diagonal([3.0, 3, 1]), lam);
        Assert.Equal(7, cps.Count);
        Assert.Equal(CriticalKind.LocalMaximum, cps[0].Kind);
        Assert.Equal(3, cps[0].NegativeDirections);
        foreach (var c in cps.Skip(1))
        {
            double li = c.EigenIndex <= 2 ? 3 : 1;
            Assert.Equal(1 / (lam * li), c.Mu.Sum(x => x * x), 12);
            Assert.Equal(7 - li, c.Risk, 10);
            Assert.True(c.GradientNorm < 1e-12, $"{c.Name}: {c.GradientNorm}");
            if (c.EigenIndex <= 2)
            {
                Assert.Equal(CriticalKind.Degenerate, c.Kind);
                Assert.Equal(new[] { 0.0, 4 * lam, 72 * lam }, c.HessianEigenvalues.Select(v => Math.Round(v, 9)));
                Assert.Equal(0, c.NegativeDirections);
            }
            else
            {
                Assert.Equal(CriticalKind.StrictSaddle, c.Kind);
                Assert.Equal(new[] { -12 * lam, -12 * lam, 8 * lam }, c.HessianEigenvalues.Select(v => Math.Round(v, 9)));
            }
        }
        Assert.DoesNotContain(cps, c => c.Kind is CriticalKind.GlobalMinimum or CriticalKind.LocalMinimum);
    }

    /// <summary>Σ = diag(3, 1, 1) at a large λ: ±u1 are minima {72λ, 4λ, 4λ} (global: equal risks); ±u2, ±u3 have
    /// {8λ, −12λ, 0}: one negative and one flat direction, still a strict saddle.</summary>
    [Fact]
    public void FlatDirectionAtASaddleKeepsItASaddle()
    {
        double lam = 250;
        var cps = CriticalPoints.Enumerate(Matrix.Diagonal([1.0, 3, 1]), lam);
        Assert.Equal(["0", "+u1/sqrt(lam*lambda1)", "-u1/sqrt(lam*lambda1)", "+u2/sqrt(lam*lambda2)",
            "-u2/sqrt(lam*lambda2)", "+u3/sqrt(lam*lambda3)", "-u3/sqrt(lam*lambda3)"], cps.Select(c => c.Name));
        Assert.Equal([0, 1, 1, 2, 2, 3, 3], cps.Select(c => c.EigenIndex));
        for (int k = 1; k <= 2; k++)
        {
            var c = cps[k];
            Assert.Equal(CriticalKind.GlobalMinimum, c.Kind);
            Assert.Equal((k == 1 ? 1 : -1) / Math.Sqrt(3 * lam), c.Mu[1], 14); // along e2 (λ = 3), signs +, -
            Assert.Equal(0.0, c.Mu[0]); Assert.Equal(0.0, c.Mu[2]);
            Assert.Equal(new[] { 4 * lam, 4 * lam, 72 * lam }, c.HessianEigenvalues.Select(v => Math.Round(v, 6)));
        }
        for (int k = 3; k < 7; k++)
        {
            Assert.Equal(CriticalKind.StrictSaddle, cps[k].Kind);
            // the flat direction is not a descent direction (its rounding-level value may be slightly negative)
            Assert.Equal(1, cps[k].NegativeDirections);
            Assert.Equal(new[] { -12 * lam, 0, 8 * lam }, cps[k].HessianEigenvalues.Select(v => Math.Round(v, 6)));
            // in the eigenspace of λ = 1 (span of e1, e3) with |μ|² = 1/λ
            Assert.Equal(0.0, cps[k].Mu[1], 15);
            Assert.Equal(1 / lam, cps[k].Mu.Sum(x => x * x), 14);
            Assert.Equal(5 - 1, cps[k].Risk, 10);
        }
        Assert.Equal(2.0, cps[1].Risk, 12); // tr Σ − 3
        Assert.Equal(2.0, cps[2].Risk, 12);
    }

    /// <summary>A general Σ: each ±μ is ±u_i/√(λ λ_i) with u_i MathNet's eigenvector of the i-th largest
    /// eigenvalue (up to its sign), and +μ = −(−μ).</summary>
    [Fact]
    public void PointsAreScaledEigenvectorsInDescendingOrder()
    {
        var sigma = Matrix.FromArray(new double[,] { { 2, 0.5, 0.1 }, { 0.5, 1.5, -0.3 }, { 0.1, -0.3, 0.8 } });
        double lam = 0.7;
        var cps = CriticalPoints.Enumerate(sigma, lam);
        var evd = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(sigma.ToArray())
            .Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        for (int i = 1; i <= 3; i++)
        {
            double li = evd.EigenValues[3 - i].Real;
            var u = evd.EigenVectors.Column(3 - i).ToArray();
            var plus = cps[2 * i - 1].Mu; var minus = cps[2 * i].Mu;
            double dot = plus.Zip(u, (a, b) => a * b).Sum();
            Assert.Equal(1 / Math.Sqrt(lam * li), Math.Abs(dot), 10);
            for (int j = 0; j < 3; j++) Assert.Equal(-plus[j], minus[j]);
            Assert.Equal(sigma.Trace() - li, cps[2 * i].Risk, 10);
        }
        Assert.Equal(CriticalKind.GlobalMinimum, cps[1].Kind);
        Assert.Equal(CriticalKind.GlobalMinimum, cps[2].Kind);
        Assert.Equal(sigma.Trace(), cps[0].Risk, 12);
        Assert.Equal(0.0, cps[0].GradientNorm);
    }

    [Fact]
    public void InputChecks()
    {
        var sigma = Matrix.Diagonal([2.0, 1]);
        Assert.Throws<ArgumentNullException>(() => CriticalPoints.Enumerate(null!, 1));
        Assert.Contains("lam must be positive and finite (got 0)",
            Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(sigma, 0)).Message);
        Assert.Contains("(got -1)", Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(sigma, -1)).Message);
        Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(sigma, double.NaN));
        Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(sigma, double.PositiveInfinity));
        Assert.Contains("Sigma must be positive definite",
            Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(Matrix.Diagonal([2.0, 0]), 1)).Message);
        Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(Matrix.Diagonal([2.0, -1]), 1));
        Assert.Equal(3, CriticalPoints.Enumerate(Matrix.Diagonal([1e-3]), 1e-6).Count);
    }

    /// <summary>The arguments are checked in the order of the signature, before the eigendecomposition: a null
    /// Sigma is reported under its own name, and an invalid lam is reported as such even when Sigma is also
    /// unusable (not positive definite), so the user sees the first bad argument.</summary>
    [Fact]
    public void ArgumentsAreCheckedBeforeSigmaIsDecomposed()
    {
        Assert.Equal("sigma", Assert.Throws<ArgumentNullException>(() => CriticalPoints.Enumerate(null!, 1)).ParamName);
        Assert.Throws<ArgumentNullException>(() => CriticalPoints.Enumerate(null!, double.NaN));
        var singular = Matrix.Diagonal([2.0, 0]);
        foreach (double lam in new[] { 0, -1, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => CriticalPoints.Enumerate(singular, lam));
            Assert.Contains($"lam must be positive and finite (got {lam})", e.Message);
        }
    }

    /// <summary><see cref="CriticalPoint.NegativeDirections"/> counts the eigenvalues strictly below
    /// −<see cref="CriticalPoint.ZeroTolerance"/>: one exactly at −tol is flat (|v| ≤ tol), as in the
    /// classification.</summary>
    [Fact]
    public void NegativeDirectionsExcludeTheToleranceItself()
    {
        var c = new CriticalPoint("x", 1, [0.0], 0, 0, [-2.0, -0.5, 0, 0.5], CriticalKind.StrictSaddle)
            { ZeroTolerance = 0.5 };
        Assert.Equal(1, c.NegativeDirections);
        Assert.Equal(2, (c with { ZeroTolerance = 0.25 }).NegativeDirections);
        Assert.Equal(0, (c with { ZeroTolerance = 2 }).NegativeDirections);
    }

    /// <summary><see cref="CriticalPoint.GradientNorm"/> is the Euclidean norm of the analytic gradient at μ
    /// (<see cref="ClosedForms.RInfGradient"/>): at a general Σ several of its components are non-zero rounding
    /// noise, so a max-norm would differ.</summary>
    [Fact]
    public void GradientNormIsTheEuclideanNormOfTheGradient()
    {
        var sigma = Matrix.FromArray(new double[,] { { 2, 0.5, 0.1 }, { 0.5, 1.5, -0.3 }, { 0.1, -0.3, 0.8 } });
        double lam = 0.7;
        int checkedPoints = 0;
        foreach (var c in CriticalPoints.Enumerate(sigma, lam))
        {
            var g = ClosedForms.RInfGradient(sigma, c.Mu, lam);
            Assert.Equal(Math.Sqrt(g.Sum(x => x * x)), c.GradientNorm);
            if (g.Count(x => x != 0) >= 2) checkedPoints++;
        }
        Assert.True(checkedPoints >= 2, "the gradients must have several non-zero components");
    }

    /// <summary>Σ = diag(1, 1 − 10⁻⁹), λ = 1: ±u1 are minima (Hessian {8, 2·10⁻⁹, …} above the tolerance 10⁻⁹), ±u2
    /// are saddles (−2·10⁻⁹ below −10⁻⁹) whose risk exceeds the minimum's by only 10⁻⁹, inside the risk tolerance
    /// 10⁻⁹ tr Σ used to call minima global: a saddle must stay a saddle however close its risk.</summary>
    [Fact]
    public void SaddleWithNearlyMinimalRiskIsNotAGlobalMinimum()
    {
        var cps = CriticalPoints.Enumerate(Matrix.Diagonal([1.0, 1 - 1e-9]), 1);
        Assert.Equal([CriticalKind.LocalMaximum, CriticalKind.GlobalMinimum, CriticalKind.GlobalMinimum,
            CriticalKind.StrictSaddle, CriticalKind.StrictSaddle], cps.Select(c => c.Kind));
        Assert.Equal(1e-9, cps[3].Risk - cps[1].Risk, 1e-15);
        Assert.Equal(1, cps[3].NegativeDirections);
    }

    /// <summary>The classification tolerance scales as λ λ_max²: Σ = 10⁶ diag(3, 3, 1) with λ = 10⁻¹² has the same
    /// Hessian spectra as diag(3, 3, 1) with λ = 1 and must get the same kinds.</summary>
    [Fact]
    public void ClassificationIsScaleInvariant()
    {
        var unit = CriticalPoints.Enumerate(Matrix.Diagonal([3.0, 3, 1]), 1);
        var scaled = CriticalPoints.Enumerate(Matrix.Diagonal([3e6, 3e6, 1e6]), 1e-12);
        Assert.Equal(unit.Select(c => c.Kind), scaled.Select(c => c.Kind));
        var unit2 = CriticalPoints.Enumerate(Matrix.Diagonal([3.0, 1, 1]), 1);
        var scaled2 = CriticalPoints.Enumerate(Matrix.Diagonal([3e-5, 1e-5, 1e-5]), 1e10);
        Assert.Equal(unit2.Select(c => c.Kind), scaled2.Select(c => c.Kind));
        Assert.Equal(CriticalKind.GlobalMinimum, scaled2[1].Kind);
    }
}
