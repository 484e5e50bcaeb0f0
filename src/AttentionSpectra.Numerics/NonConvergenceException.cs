namespace AttentionSpectra.Numerics;

/// <summary>Raised when an iterative method (Lanczos, QL/QR sweeps, a fixed-point or root solve, training) does not
/// reach its tolerance within its iteration budget. It is a numerical failure, not bad input: the CLI maps it to
/// exit code 1, whereas <see cref="NumericsException"/> (an <see cref="ArgumentException"/>) means bad input.</summary>
/// <param name="message">What did not converge, after how many iterations, and the residual reached.</param>
public sealed class NonConvergenceException(string message) : Exception(message);
