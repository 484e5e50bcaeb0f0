using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Which risk a run optimises: SGD on fresh finite prompts with the softmax or linear head, or
/// deterministic GD on a closed-form risk.</summary>
public enum TrainHead
{
    /// <summary>SGD on fresh finite prompts, softmax head.</summary>
    Softmax,
    /// <summary>SGD on fresh finite prompts, linear head (no 1/L).</summary>
    Linear,
    /// <summary>Gradient descent on the infinite-prompt risk R_inf (both heads share it).</summary>
    Infinite,
    /// <summary>Gradient descent on the exact finite-L risk R_lin,L of the linear head (rank one).</summary>
    LinearExact,
}

/// <summary>Recorded trajectory of one training run (one seed).</summary>
public sealed record TrainTrace(int[] Steps, double[] Alignment, double[] Loss, double[] NormSquared, double[] FinalParameters);

/// <summary>Gradient-descent loop shared by all studies. The loss-gradient function writes the gradient of the
/// objective at the parameters into its third argument and returns the (mini-batch) loss.</summary>
public static class Trainer
{
    /// <summary>Writes the gradient of the objective at <paramref name="parameters"/> into <paramref name="grad"/>
    /// (using only <paramref name="stepRng"/> for randomness) and returns the (mini-batch) loss.</summary>
    public delegate double LossGradient(ReadOnlySpan<double> parameters, Rng stepRng, Span<double> grad);

    /// <summary>Runs <paramref name="steps"/> steps of gradient descent with learning rate <paramref name="lr"/> from
    /// <paramref name="init"/> (k x d, row-major), recording alignment with <paramref name="reference"/>, loss and squared
    /// norm every <paramref name="recordEvery"/> steps (and at the end); step s (1-based) draws its randomness from
    /// <c>rng.Split(s - 1)</c>. <paramref name="onRecord"/> is called with the step after each record.</summary>
    /// <exception cref="ArgumentException">Invalid arguments, or training diverged (non-finite parameters or an
    /// objective that overflows): the message says to lower the learning rate or lam.</exception>
    public static TrainTrace Run(LossGradient lossGrad, double[] init, int k, int d, double lr, int steps, int recordEvery,
        IReadOnlyList<double[]> reference, Rng rng, Action<int>? onRecord = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lossGrad);
        if (init.Length != k * d) throw new ArgumentException($"Initial parameters must have k*d = {k * d} values.");
        if (!(lr > 0) || !double.IsFinite(lr)) throw new ArgumentException($"Learning rate must be positive and finite (got {lr}).");
        if (steps < 1) throw new ArgumentException($"Number of steps must be >= 1 (got {steps}).");
        if (recordEvery < 1) throw new ArgumentException("recordEvery must be >= 1.");
        var m = (double[])init.Clone();
        var g = new double[m.Length];
        var st = new List<int>(); var al = new List<double>(); var lo = new List<double>(); var nr = new List<double>();
        void Record(int step, double loss)
        {
            st.Add(step);
            al.Add(Subspace.Alignment(m, k, d, reference));
            lo.Add(loss);
            nr.Add(TensorPrimitives.Dot(m, m));
            onRecord?.Invoke(step);
        }
        double acc = 0; int accN = 0;
        double first = Evaluate(lossGrad, m, rng.Split(0), g, 0);
        Record(0, first);
        for (int s = 1; s <= steps; s++)
        {
            double loss = s == 1 ? first : Evaluate(lossGrad, m, rng.Split((ulong)(s - 1)), g, s);
            TensorPrimitives.MultiplyAdd(g, -lr, m, m);
            if (!AllFinite(m))
                throw new ArgumentException($"Training diverged at step {s} (non-finite parameters): lower the learning rate or lam.");
            acc += loss; accN++;
            if (s % recordEvery == 0 || s == steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Record(s, acc / accN);
                acc = 0; accN = 0;
            }
        }
        return new TrainTrace(st.ToArray(), al.ToArray(), lo.ToArray(), nr.ToArray(), m);
    }

    /// <summary>Loss and gradient at the current parameters. Parameters that are finite but so large that the
    /// objective overflows (scores, softmax, sampled products) are divergence too: report it as such.</summary>
    private static double Evaluate(LossGradient lossGrad, double[] m, Rng stepRng, double[] g, int step)
    {
        try
        {
            return lossGrad(m, stepRng, g);
        }
        catch (NumericsException ex)
        {
            throw new ArgumentException($"Training diverged at step {step} ({ex.Message}): lower the learning rate or lam.", ex);
        }
    }

    private static bool AllFinite(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }
}
