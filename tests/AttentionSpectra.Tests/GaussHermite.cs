namespace AttentionSpectra.Tests;

/// <summary>Exact Gaussian expectations of polynomials by tensor-product Gauss–Hermite quadrature (probabilists'
/// weight, 4 nodes per coordinate): E f(z), z ~ N(0, I_m), is exact when f has degree at most 7 in each coordinate.
/// An oracle for closed-form risks that is independent of Monte-Carlo noise and of moment algebra.</summary>
internal static class GaussHermite
{
    /// <summary>Nodes: roots of He_4(x) = x^4 - 6x^2 + 3, i.e. x^2 = 3 -+ sqrt 6; weights 4!/(4^2 He_3(x)^2).</summary>
    public static readonly double[] Nodes, Weights;

    static GaussHermite()
    {
        double s = Math.Sqrt(6), x1 = Math.Sqrt(3 - s), x2 = Math.Sqrt(3 + s);
        Nodes = [-x2, -x1, x1, x2];
        Weights = Nodes.Select(x => 24.0 / (16 * Math.Pow(x * x * x - 3 * x, 2))).ToArray();
    }

    /// <summary>E f(z) for z ~ N(0, I_m); f receives the node vector (reused buffer, do not keep it).</summary>
    public static double Expectation(int m, Func<double[], double> f)
    {
        var z = new double[m];
        var idx = new int[m];
        double sum = 0;
        while (true)
        {
            double w = 1;
            for (int k = 0; k < m; k++) { z[k] = Nodes[idx[k]]; w *= Weights[idx[k]]; }
            sum += w * f(z);
            int p = 0;
            while (p < m && ++idx[p] == Nodes.Length) idx[p++] = 0;
            if (p == m) return sum;
        }
    }
}
