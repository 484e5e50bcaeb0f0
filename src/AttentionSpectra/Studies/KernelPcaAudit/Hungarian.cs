namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Optimal one-to-one assignment (Hungarian method with potentials, Jonker–Volgenant style shortest
/// augmenting paths), O(n^3) for a square n x n cost matrix.</summary>
public static class Hungarian
{
    /// <summary>Assignment minimising the total cost: result[i] = column assigned to row i.</summary>
    public static int[] Minimize(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int n = cost.GetLength(0);
        if (cost.GetLength(1) != n) throw new ArgumentException($"Hungarian assignment needs a square cost matrix, got {n} x {cost.GetLength(1)}.");
        foreach (var c in cost) if (!double.IsFinite(c)) throw new ArgumentException("Hungarian assignment: cost matrix contains NaN or infinity.");
        if (n == 0) return [];
        // 1-based arrays (classic formulation): u, v potentials; p[j] = row matched to column j; way = back-pointers.
        var u = new double[n + 1]; var v = new double[n + 1];
        var p = new int[n + 1]; var way = new int[n + 1];
        var minv = new double[n + 1]; var used = new bool[n + 1];
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    double cur = cost[i0 - 1, j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
                    if (minv[j] < delta) { delta = minv[j]; j1 = j; }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
                    else minv[j] -= delta;
                }
                j0 = j1;
            } while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        var assign = new int[n];
        for (int j = 1; j <= n; j++) assign[p[j] - 1] = j - 1;
        return assign;
    }

    /// <summary>Assignment maximising the total score.</summary>
    public static int[] Maximize(double[,] score)
    {
        int n = score.GetLength(0), m = score.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) c[i, j] = -score[i, j];
        return Minimize(c);
    }
}
