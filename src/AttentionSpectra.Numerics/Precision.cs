namespace AttentionSpectra.Numerics;

/// <summary>Shared floating-point constants and default tolerances of the numerics, so that the same threshold is
/// not restated as a bare literal in every routine. All values are for IEEE 754 double precision.</summary>
public static class Precision
{
    /// <summary>Unit roundoff u = 2^-53: the largest relative error of one rounded operation (LAPACK dlamch('E')).
    /// </summary>
    public const double UnitRoundoff = 1.1102230246251565e-16;

    /// <summary>Machine epsilon 2^-52: the distance from 1.0 to the next larger double (LAPACK dlamch('P')).</summary>
    public const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Smallest positive normal double, 2^-1022 (LAPACK dlamch('S')): 1 / SafeMinimum does not overflow.
    /// </summary>
    public const double SafeMinimum = 2.2250738585072014e-308;

    /// <summary>Default relative rank tolerance: a vector whose norm after projection is at most this times the
    /// largest input norm counts as numerically dependent (about 10^4 unit roundoffs of headroom).</summary>
    public const double RankTolerance = 1e-12;

    /// <summary>Positive floor for denominators and logarithm arguments that may underflow to zero (1e-300, still a
    /// normal double).</summary>
    public const double Tiny = 1e-300;
}
