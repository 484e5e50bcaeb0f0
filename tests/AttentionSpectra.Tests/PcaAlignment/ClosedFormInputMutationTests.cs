using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary>The closed forms of Study A reject each bad input on its own condition (at its boundary) with a message
/// naming the parameter and the offending value.</summary>
public class ClosedFormInputMutationTests
{
    private static string Msg(Action a) => Assert.Throws<ArgumentException>(a).Message;

    [Fact]
    public void RiskInputsAreCheckedWithSpecificMessages()
    {
        var s = Matrix.Diagonal([2.0, 1]);
        double[] mu = [0.3, -0.2];
        Assert.Contains("lam must be positive and finite (got 0)", Msg(() => ClosedForms.RInf(s, mu, 0)));
        Assert.Contains("(got -0.5)", Msg(() => ClosedForms.RInfGradient(s, mu, -0.5)));
        Assert.Contains("(got NaN)", Msg(() => ClosedForms.RInfHessian(s, mu, double.NaN)));
        Assert.Contains($"(got {double.PositiveInfinity})",
            Msg(() => ClosedForms.RLinear(s, mu, double.PositiveInfinity, 3)));
        Assert.Contains("mu has length 3, expected 2", Msg(() => ClosedForms.RInf(s, [1.0, 2, 3], 0.1)));
        Assert.Contains("mu contains a non-finite value.", Msg(() => ClosedForms.Moments(s, [1.0, double.NaN])));
        Assert.Contains("parameters has length 3, expected 4", Msg(() => ClosedForms.RInfRankK(s, [1.0, 2, 3], 2, 0.1)));
        Assert.Contains("Prompt length L must be >= 1 (got 0)", Msg(() => ClosedForms.RLinear(s, mu, 0.1, 0)));
        Assert.Contains("Prompt length L must be >= 1 (got -2)", Msg(() => ClosedForms.RLinearGradient(s, mu, 0.1, -2)));
        // L = 1 is the smallest valid prompt
        Assert.True(double.IsFinite(ClosedForms.RLinear(s, mu, 0.1, 1)));
        Assert.Equal(2, ClosedForms.RLinearGradient(s, mu, 0.1, 1).Length);
    }

    [Fact]
    public void IclInputsAreCheckedWithSpecificMessages()
    {
        double[] mu = [0.3, -0.2], v = [1.0, 0];
        Assert.Contains("ICL needs d >= 1 and n >= 1.", Msg(() => ClosedForms.IclCoefficients(0, 3, 1, 1, 0.1)));
        Assert.Contains("ICL needs d >= 1 and n >= 1.", Msg(() => ClosedForms.IclCoefficients(2, 0, 1, 1, 0.1)));
        Assert.Contains("lam must be positive", Msg(() => ClosedForms.IclCoefficients(2, 3, 1, 1, 0)));
        Assert.Contains("lam must be positive", Msg(() => ClosedForms.RIcl(mu, v, 3, 1, 1, -1)));
        Assert.Contains("mu and v must have the same positive length.", Msg(() => ClosedForms.RIcl(mu, [1.0], 3, 1, 1, 0.1)));
        Assert.Contains("mu and v must have the same positive length.", Msg(() => ClosedForms.RIcl([], [], 3, 1, 1, 0.1)));
        Assert.Contains("n must be >= 1 (got 0)", Msg(() => ClosedForms.RIcl(mu, v, 0, 1, 1, 0.1)));
        Assert.Contains("xi must be > 0 and theta >= 0.", Msg(() => ClosedForms.RIcl(mu, v, 3, 0, 1, 0.1)));
        Assert.Contains("xi must be > 0 and theta >= 0.", Msg(() => ClosedForms.RIclGradient(mu, v, 3, 1, -0.1, 0.1)));
        Assert.Contains("Spike direction v must be non-zero.", Msg(() => ClosedForms.RIcl(mu, [0.0, 0], 3, 1, 1, 0.1)));
        Assert.Contains("mu contains a non-finite value.", Msg(() => ClosedForms.RIcl([1.0, double.NaN], v, 3, 1, 1, 0.1)));
        // boundaries: n = 1, theta = 0 are valid
        Assert.True(double.IsFinite(ClosedForms.RIcl(mu, v, 1, 1, 0, 0.1)));
        Assert.True(double.IsFinite(ClosedForms.IclOptimalAlphaSquared(1, 1, 1, 0.5, 0.1)));
    }

    /// <summary>grad R_lin,L against central differences of R_lin,L at λ of order 1 and L = 3 (every term matters);
    /// the cross-term factor 4 adds exactly 2 λ² (L+2)(L+3)(b Σμ + a Σ²μ).</summary>
    [Fact]
    public void LinearGradientMatchesFiniteDifferencesAndCrossTermFactor()
    {
        var s = Matrix.FromArray(new double[,] { { 2, 0.3, 0 }, { 0.3, 1, -0.2 }, { 0, -0.2, 0.5 } });
        double[] mu = [0.4, -0.7, 0.9];
        double lam = 0.8; int l = 3;
        var g = ClosedForms.RLinearGradient(s, mu, lam, l);
        for (int i = 0; i < 3; i++)
        {
            var p = (double[])mu.Clone(); var m = (double[])mu.Clone();
            p[i] += 1e-5; m[i] -= 1e-5;
            double fd = (ClosedForms.RLinear(s, p, lam, l) - ClosedForms.RLinear(s, m, lam, l)) / 2e-5;
            Assert.Equal(fd, g[i], 6);
        }
        var (a, b, smu, s2mu) = ClosedForms.Moments(s, mu);
        var g4 = ClosedForms.RLinearGradient(s, mu, lam, l, crossTermFactor: 4);
        for (int i = 0; i < 3; i++)
            Assert.Equal(2 * lam * lam * (l + 2) * (l + 3) * (b * smu[i] + a * s2mu[i]), g4[i] - g[i], 10);
    }
}
