using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Mini-batch ICL loss and gradient as the paper batches it: each step draws <c>sigmas</c> covariances
/// Sigma_g = sum_{r=1..n} y_r y_r' (y_r ~ N(0, xi^2 I + theta v v')) and, for each, <c>promptsPerSigma</c> prompts of
/// L tokens x ~ N(0, Sigma_g). Group g of a step uses <c>stepRng.Split(g)</c>: stream 0 for its y's, stream 1 + p
/// for prompt p. Work is split over fixed chunks of groups reduced in chunk order, so the result does not depend on
/// thread scheduling.</summary>
public sealed class GroupedWishartGradient
{
    private const int MaxChunks = 8;
    private readonly double[] _v;
    private readonly int _d, _n, _l, _sigmas, _prompts, _chunks;
    private readonly double _xi, _theta, _lam;
    private readonly HeadKind _kind;
    private readonly HeadWorkspace[] _ws;
    private readonly double[][] _x, _y, _g, _grad;
    private readonly double[] _loss;

    /// <summary>Creates the batch.</summary>
    /// <param name="v">Spike direction (normalised here).</param>
    /// <param name="n">Wishart degrees of freedom.</param>
    /// <param name="xi">Noise level.</param>
    /// <param name="theta">Spike strength.</param>
    /// <param name="kind">Head.</param>
    /// <param name="l">Prompt length.</param>
    /// <param name="lam">Inverse temperature.</param>
    /// <param name="sigmas">Covariances drawn per step.</param>
    /// <param name="promptsPerSigma">Prompts drawn per covariance.</param>
    public GroupedWishartGradient(ReadOnlySpan<double> v, int n, double xi, double theta, HeadKind kind, int l,
        double lam,
        int sigmas, int promptsPerSigma)
    {
        // Reuse the spiked-Wishart source's validation of (v, n, xi, theta).
        var check = new SpikedWishartPromptSource(v, n, xi, theta);
        if (l < 1) throw new ArgumentException($"Prompt length L must be >= 1 (got {l}).");
        if (sigmas < 1) throw new ArgumentException($"sigmasPerStep must be >= 1 (got {sigmas}).");
        if (promptsPerSigma < 1) throw new ArgumentException($"promptsPerSigma must be >= 1 (got {promptsPerSigma}).");
        if (!(lam > 0)
            || !double.IsFinite(lam)) throw new ArgumentException($"lam must be positive and finite (got {lam}).");
        _v = check.Spike.ToArray();
        _d = v.Length; _n = n; _xi = xi; _theta = theta; _kind = kind; _l = l; _lam = lam;
        _sigmas = sigmas; _prompts = promptsPerSigma;
        _chunks = Math.Min(MaxChunks, sigmas);
        _ws = new HeadWorkspace[_chunks]; _x = new double[_chunks][]; _y = new double[_chunks][];
        _g = new double[_chunks][]; _grad = new double[_chunks][]; _loss = new double[_chunks];
        for (int c = 0; c < _chunks; c++)
        {
            _ws[c] = new HeadWorkspace(l, _d, 1);
            _x[c] = new double[l * _d];
            _y[c] = new double[n * _d];
            _g[c] = new double[Math.Max(n, l * n)];
            _grad[c] = new double[_d];
        }
    }

    /// <summary>Mean loss over the sigmas x prompts prompts of the step; writes the mean gradient into
    /// <paramref name="grad"/>.</summary>
    /// <param name="m">Parameters (length d).</param>
    /// <param name="grad">Destination (length d).</param>
    /// <param name="stepRng">Generator of this step.</param>
    public double Compute(ReadOnlySpan<double> m, Span<double> grad, Rng stepRng)
    {
        ArgumentNullException.ThrowIfNull(stepRng);
        if (m.Length != _d
            || grad.Length != _d) throw new ArgumentException($"Parameters and gradient must have length d = {_d}.");
        double[] mu = m.ToArray();
        double inv = 1.0 / ((double)_sigmas * _prompts);
        void Chunk(int c)
        {
            int lo = (int)((long)_sigmas * c / _chunks), hi = (int)((long)_sigmas * (c + 1) / _chunks);
            var acc = _grad[c]; Array.Clear(acc);
            double loss = 0;
            for (int s = lo; s < hi; s++)
            {
                var grng = stepRng.Split((ulong)s);
                DrawFactor(grng.Split(0), _y[c], _g[c]);
                for (int p = 0; p < _prompts; p++)
                {
                    DrawPrompt(grng.Split(1 + (ulong)p), _y[c], _g[c], _x[c]);
                    loss += AttentionHead.LossAndGradient(_kind, _x[c], _l, _d, mu, 1, _lam, acc, inv, _ws[c]);
                }
            }
            _loss[c] = loss;
        }
        try { Parallel.For(0, _chunks, Chunk); }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
        grad.Clear();
        double total = 0;
        for (int c = 0; c < _chunks; c++) { TensorPrimitives.Add(grad, _grad[c], grad); total += _loss[c]; }
        return total * inv;
    }

    /// <summary>y_r = xi g_r + sqrt(theta) s_r v, r = 1..n (rows of <paramref name="y"/>).</summary>
    private void DrawFactor(Rng rng, double[] y, double[] scratch)
    {
        rng.FillGaussian(y);
        TensorPrimitives.Multiply(y, _xi, y);
        var s = scratch.AsSpan(0, _n);
        rng.FillGaussian(s);
        double st = Math.Sqrt(_theta);
        for (int r = 0; r < _n; r++)
        {
            var yr = y.AsSpan(r * _d, _d);
            TensorPrimitives.MultiplyAdd(_v, st * s[r], yr, yr);
        }
    }

    /// <summary>Tokens x_t = sum_r g_tr y_r with g ~ N(0, I_n): x ~ N(0, Y'Y) = N(0, Sigma).</summary>
    private void DrawPrompt(Rng rng, double[] y, double[] scratch, double[] x)
    {
        var gall = scratch.AsSpan(0, _l * _n);
        rng.FillGaussian(gall);
        for (int t = 0; t < _l; t++)
        {
            var row = x.AsSpan(t * _d, _d);
            row.Clear();
            for (int r = 0; r < _n; r++) TensorPrimitives.MultiplyAdd(y.AsSpan(r * _d, _d), gall[t * _n + r], row, row);
        }
    }
}
