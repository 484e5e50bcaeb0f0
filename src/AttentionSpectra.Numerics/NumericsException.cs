namespace AttentionSpectra.Numerics;

/// <summary>Raised for invalid numerical input (NaN/Inf entries, non-symmetric or non-SPD matrices, shape errors).
/// The CLI turns it into a one-line error message, never a stack trace.</summary>
public class NumericsException(string message) : ArgumentException(message)
{
    /// <summary>Throws when <paramref name="a"/> has a NaN or infinite entry; <paramref name="what"/> names it in
    /// the message.</summary>
    public static void ThrowIfNotFinite(Matrix a, string what)
    {
        if (!a.AllFinite()) throw new NumericsException($"{what} contains NaN or infinite entries.");
    }

    /// <summary>Throws when <paramref name="a"/> is not square; <paramref name="what"/> names it in the message.
    /// </summary>
    public static void ThrowIfNotSquare(Matrix a, string what)
    {
        if (!a.IsSquare) throw new NumericsException($"{what} must be square, got {a.Rows}x{a.Cols}.");
    }
}
