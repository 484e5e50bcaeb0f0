namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Validation of the training hyper-parameters shared by `pca train`, `pca digits` and `icl train`
/// (messages name the API parameter; the CLI maps them to its flags).</summary>
internal static class TrainingChecks
{
    public static void Common(int l, double lam, double lr, int steps, int batch, int seeds, double initScale)
    {
        AtLeast(l, 1, "L");
        PositiveFinite(lam, "lam");
        PositiveFinite(lr, "lr");
        AtLeast(steps, 1, "steps");
        AtLeast(batch, 1, "batch");
        AtLeast(seeds, 1, "seeds");
        PositiveFinite(initScale, "initScale");
    }

    public static void AtLeast(int value, int min, string option)
    {
        if (value < min) throw new ArgumentException($"{option} must be >= {min} (got {value}).");
    }

    public static void PositiveFinite(double value, string option)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentException($"{option} must be positive and finite (got {value}).");
    }
}
