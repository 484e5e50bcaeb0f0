using System.Runtime.CompilerServices;

namespace AttentionSpectra.Numerics;

/// <summary>Dense row-major matrix of doubles. Element (i, j) lives at <c>Data[i * Cols + j]</c>.</summary>
public sealed class Matrix
{
    /// <summary>Number of rows.</summary>
    public int Rows { get; }
    /// <summary>Number of columns.</summary>
    public int Cols { get; }
    /// <summary>The entries in row-major order (length Rows * Cols): element (i, j) is
    /// <c>Data[i * Cols + j]</c>. Not a copy: writing to it changes the matrix.</summary>
    public double[] Data { get; }

    /// <summary>A zero matrix of the given shape.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public Matrix(int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"Matrix dimensions must be non-negative, got {rows}x{cols}.");
        Rows = rows; Cols = cols;
        Data = new double[checked(rows * cols)];
    }

    /// <summary>A matrix over an existing row-major array (not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> does not have rows * cols entries.</exception>
    public Matrix(int rows, int cols, double[] data)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"Matrix dimensions must be non-negative, got {rows}x{cols}.");
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != checked(rows * cols)) throw new ArgumentException($"Data length {data.Length} does not match {rows}x{cols}.", nameof(data));
        Rows = rows; Cols = cols; Data = data;
    }

    /// <summary>True when Rows == Cols.</summary>
    public bool IsSquare => Rows == Cols;

    /// <summary>Reference to element (i, j) (row i, column j; no bounds check beyond the array's own).</summary>
    public ref double this[int i, int j]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Data[i * Cols + j];
    }

    /// <summary>Row i as a writable span over <see cref="Data"/>.</summary>
    public Span<double> Row(int i) => Data.AsSpan(i * Cols, Cols);
    /// <summary>Row i as a read-only span over <see cref="Data"/>.</summary>
    public ReadOnlySpan<double> RowReadOnly(int i) => new(Data, i * Cols, Cols);

    /// <summary>A copy of column j.</summary>
    public double[] Column(int j)
    {
        var c = new double[Rows];
        for (int i = 0; i < Rows; i++) c[i] = Data[i * Cols + j];
        return c;
    }

    /// <summary>Overwrites column j with <paramref name="values"/> (length Rows).</summary>
    public void SetColumn(int j, ReadOnlySpan<double> values)
    {
        if (values.Length != Rows) throw new ArgumentException("Column length mismatch.", nameof(values));
        for (int i = 0; i < Rows; i++) Data[i * Cols + j] = values[i];
    }

    /// <summary>The n x n identity matrix.</summary>
    public static Matrix Identity(int n)
    {
        var m = new Matrix(n, n);
        for (int i = 0; i < n; i++) m.Data[i * n + i] = 1.0;
        return m;
    }

    /// <summary>A copy of a rectangular array.</summary>
    public static Matrix FromArray(double[,] a)
    {
        int r = a.GetLength(0), c = a.GetLength(1);
        var m = new Matrix(r, c);
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) m.Data[i * c + j] = a[i, j];
        return m;
    }

    /// <summary>A matrix whose rows are copies of <paramref name="rows"/> (all the same length; none gives 0 x 0).
    /// </summary>
    public static Matrix FromRows(IReadOnlyList<double[]> rows)
    {
        if (rows.Count == 0) return new Matrix(0, 0);
        int c = rows[0].Length;
        var m = new Matrix(rows.Count, c);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != c) throw new ArgumentException("Ragged rows.", nameof(rows));
            rows[i].CopyTo(m.Data, i * c);
        }
        return m;
    }

    /// <summary>The square diagonal matrix diag(d).</summary>
    public static Matrix Diagonal(ReadOnlySpan<double> d)
    {
        var m = new Matrix(d.Length, d.Length);
        for (int i = 0; i < d.Length; i++) m.Data[i * d.Length + i] = d[i];
        return m;
    }

    /// <summary>A copy as a rectangular array.</summary>
    public double[,] ToArray()
    {
        var a = new double[Rows, Cols];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Cols; j++) a[i, j] = Data[i * Cols + j];
        return a;
    }

    /// <summary>A deep copy.</summary>
    public Matrix Clone() => new(Rows, Cols, (double[])Data.Clone());

    /// <summary>A new matrix holding the transpose (cache-blocked copy).</summary>
    public Matrix Transpose()
    {
        var t = new Matrix(Cols, Rows);
        const int B = 32;
        for (int ii = 0; ii < Rows; ii += B)
            for (int jj = 0; jj < Cols; jj += B)
            {
                int iMax = Math.Min(ii + B, Rows), jMax = Math.Min(jj + B, Cols);
                for (int i = ii; i < iMax; i++)
                    for (int j = jj; j < jMax; j++)
                        t.Data[j * Rows + i] = Data[i * Cols + j];
            }
        return t;
    }

    /// <summary>Sum of the diagonal entries.</summary>
    /// <exception cref="InvalidOperationException">The matrix is not square.</exception>
    public double Trace()
    {
        if (!IsSquare) throw new InvalidOperationException("Trace of a non-square matrix.");
        double s = 0;
        for (int i = 0; i < Rows; i++) s += Data[i * Cols + i];
        return s;
    }

    /// <summary>Frobenius norm sqrt(sum of squared entries).</summary>
    public double FrobeniusNorm() => System.Numerics.Tensors.TensorPrimitives.Norm<double>(Data);

    /// <summary>Largest absolute deviation from symmetry, relative check helper.</summary>
    public double AsymmetryNorm()
    {
        if (!IsSquare) return double.PositiveInfinity;
        double m = 0;
        for (int i = 0; i < Rows; i++)
            for (int j = i + 1; j < Cols; j++) m = Math.Max(m, Math.Abs(Data[i * Cols + j] - Data[j * Cols + i]));
        return m;
    }

    /// <summary>True when no entry is NaN or infinite.</summary>
    public bool AllFinite() => AllFinite(Data);

    /// <summary>True when every entry is finite (vectorised: x - x is 0 for finite x and NaN otherwise).</summary>
    internal static bool AllFinite(ReadOnlySpan<double> x)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            ref double r0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            var acc = System.Runtime.Intrinsics.Vector256<double>.Zero;
            for (; i <= x.Length - 4; i += 4)
            {
                var v = System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref r0, (nuint)i);
                acc += v - v;
            }
            if (acc != System.Runtime.Intrinsics.Vector256<double>.Zero) return false;
        }
        for (; i < x.Length; i++) if (!double.IsFinite(x[i])) return false;
        return true;
    }

    /// <summary>Matrix product A B (through <see cref="Blas.Multiply(Matrix, Matrix, bool, bool)"/>).</summary>
    public static Matrix operator *(Matrix a, Matrix b) => Blas.Multiply(a, b);

    /// <summary>Entry-wise sum of two matrices of the same shape.</summary>
    public static Matrix operator +(Matrix a, Matrix b)
    {
        CheckSameShape(a, b);
        var r = new Matrix(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Add<double>(a.Data, b.Data, r.Data);
        return r;
    }

    /// <summary>Entry-wise difference of two matrices of the same shape.</summary>
    public static Matrix operator -(Matrix a, Matrix b)
    {
        CheckSameShape(a, b);
        var r = new Matrix(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Subtract<double>(a.Data, b.Data, r.Data);
        return r;
    }

    /// <summary>Scalar multiple s A.</summary>
    public static Matrix operator *(double s, Matrix a)
    {
        var r = new Matrix(a.Rows, a.Cols);
        System.Numerics.Tensors.TensorPrimitives.Multiply<double>(a.Data, s, r.Data);
        return r;
    }

    /// <summary>y = A x.</summary>
    public double[] Multiply(ReadOnlySpan<double> x)
    {
        var y = new double[Rows];
        MultiplyInto(x, y);
        return y;
    }

    /// <summary>y = A x into a caller's buffer (no allocation; the shape of a <see cref="SymmetricOperator"/>).</summary>
    /// <param name="x">Vector of length <see cref="Cols"/>.</param>
    /// <param name="y">Output of length <see cref="Rows"/>; must not overlap <paramref name="x"/>.</param>
    public void MultiplyInto(ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != Cols) throw new ArgumentException($"Vector length {x.Length} does not match {Cols} columns.", nameof(x));
        if (y.Length != Rows) throw new ArgumentException($"Output length {y.Length} does not match {Rows} rows.", nameof(y));
        for (int i = 0; i < Rows; i++) y[i] = System.Numerics.Tensors.TensorPrimitives.Dot<double>(RowReadOnly(i), x);
    }

    private static void CheckSameShape(Matrix a, Matrix b)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols) throw new ArgumentException($"Shape mismatch: {a.Rows}x{a.Cols} vs {b.Rows}x{b.Cols}.");
    }

    /// <summary>Shape only, e.g. "Matrix(3x4)".</summary>
    public override string ToString() => $"Matrix({Rows}x{Cols})";
}
