using System.Globalization;

namespace AttentionSpectra.Numerics;

/// <summary>Reads a numeric matrix from a user's file: NumPy <c>.npy</c> (1-D or 2-D, via <see cref="Npy"/>) or
/// delimited text (<c>.csv</c>, <c>.tsv</c>, <c>.txt</c>: one row per line, separated by commas, tabs or spaces; one
/// optional header line of non-numeric names; blank lines and lines starting with <c>#</c> ignored). Every entry must
/// be a finite number and every row must have the same length, or a <see cref="InvalidDataException"/> names the line
/// and column.</summary>
public static class MatrixFile
{
    /// <summary>Largest text file accepted (bytes); larger tables should be given as <c>.npy</c>.</summary>
    public const long MaxTextBytes = 2L << 30;

    /// <summary>Read the matrix in <paramref name="path"/>, choosing the format by extension.</summary>
    /// <param name="path">A <c>.npy</c>, <c>.csv</c>, <c>.tsv</c> or <c>.txt</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, has non-finite entries or ragged rows.</exception>
    public static Matrix Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        Matrix m;
        if (ext == ".npy") m = Npy.Read(path).ToMatrix();
        else if (ext is ".csv" or ".tsv" or ".txt") m = ReadText(path);
        else throw new InvalidDataException($"{path}: unsupported matrix file type '{ext}' (use .npy, .csv, .tsv or .txt).");
        for (int i = 0; i < m.Data.Length; i++)
            if (!double.IsFinite(m.Data[i]))
                throw new InvalidDataException($"{path}: entry ({i / Math.Max(1, m.Cols)}, {i % Math.Max(1, m.Cols)}) is not finite.");
        return m;
    }

    /// <summary>Read a delimited text matrix (see the class remarks for the grammar).</summary>
    /// <param name="path">The text file.</param>
    public static Matrix ReadText(string path)
    {
        long len = new FileInfo(path).Length;
        if (len > MaxTextBytes) throw new InvalidDataException($"{path}: text file of {len} bytes is too large; save it as .npy.");
        var rows = new List<double[]>();
        int lineNo = 0, cols = -1;
        bool headerSeen = false;
        foreach (string raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            char[] seps = line.Contains(',') ? [','] : line.Contains('\t') ? ['\t'] : [' '];
            var parts = line.Split(seps, StringSplitOptions.TrimEntries | (seps[0] == ' ' ? StringSplitOptions.RemoveEmptyEntries : 0));
            var row = new double[parts.Length];
            bool numeric = true;
            for (int j = 0; j < parts.Length && numeric; j++)
                numeric = double.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out row[j]);
            if (!numeric)
            {
                if (rows.Count == 0 && !headerSeen) { headerSeen = true; continue; }
                throw new InvalidDataException($"{path}:{lineNo}: not a number in this row: '{Shorten(line)}'.");
            }
            if (cols < 0) cols = row.Length;
            else if (row.Length != cols)
                throw new InvalidDataException($"{path}:{lineNo}: row has {row.Length} values, the first row has {cols}.");
            rows.Add(row);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no numeric rows.");
        var m = new Matrix(rows.Count, cols);
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(m.Row(i));
        return m;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
