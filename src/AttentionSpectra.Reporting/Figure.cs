using ScottPlot;

namespace AttentionSpectra.Reporting;

/// <summary>Thin, consistent wrapper over ScottPlot for headless PNG figures (lines, bands, points with error
/// bars, histograms, reference lines). Studies may also use ScottPlot directly through <see cref="Plot"/>.</summary>
public sealed class Figure
{
    private int _colorIndex;
    private static readonly Color[] Palette =
    [
        Colors.C0, Colors.C1, Colors.C2, Colors.C3, Colors.C4, Colors.C5, Colors.C6, Colors.C7, Colors.C8, Colors.C9,
    ];

    public Plot Plot { get; } = new();

    public Figure(string title, string xLabel, string yLabel)
    {
        Plot.Title(title);
        Plot.XLabel(xLabel);
        Plot.YLabel(yLabel);
    }

    private Color Next() => Palette[_colorIndex++ % Palette.Length];

    public Figure Line(double[] xs, double[] ys, string? label = null, bool markers = false)
    {
        var s = Plot.Add.Scatter(xs, ys, Next());
        s.LineWidth = 2;
        s.MarkerSize = markers ? 5 : 0;
        if (label != null) s.LegendText = label;
        return this;
    }

    /// <summary>Mean line with a shaded band [lo, hi] in the same colour.</summary>
    public Figure LineWithBand(double[] xs, double[] mean, double[] lo, double[] hi, string? label = null)
    {
        var c = Next();
        var f = Plot.Add.FillY(xs, lo, hi);
        f.FillColor = c.WithAlpha(0.25);
        f.LineColor = c.WithAlpha(0);
        var s = Plot.Add.Scatter(xs, mean, c);
        s.LineWidth = 2; s.MarkerSize = 0;
        if (label != null) s.LegendText = label;
        return this;
    }

    public Figure Points(double[] xs, double[] ys, double[]? yErr = null, string? label = null)
    {
        var c = Next();
        if (yErr != null)
        {
            var e = Plot.Add.ErrorBar(xs, ys, yErr);
            e.Color = c;
        }
        var s = Plot.Add.Scatter(xs, ys, c);
        s.LineWidth = 0; s.MarkerSize = 6;
        if (label != null) s.LegendText = label;
        return this;
    }

    /// <summary>Pre-binned histogram: bars of the given <paramref name="heights"/> centred at <paramref name="centers"/>,
    /// each <paramref name="width"/> wide.</summary>
    public Figure Bars(IReadOnlyList<double> centers, IReadOnlyList<double> heights, double width, string? label = null)
    {
        if (centers.Count != heights.Count) throw new ArgumentException("Bars need as many heights as centres.");
        var c = Next();
        var bars = new List<Bar>();
        for (int b = 0; b < centers.Count; b++)
            bars.Add(new Bar { Position = centers[b], Value = heights[b], Size = width, FillColor = c.WithAlpha(0.5), LineWidth = 0 });
        var bp = Plot.Add.Bars(bars);
        if (label != null) bp.LegendText = label;
        return this;
    }

    public Figure VerticalLine(double x, string? label = null)
    {
        var v = Plot.Add.VerticalLine(x);
        v.Color = Next();
        v.LinePattern = LinePattern.Dashed;
        if (label != null) v.LegendText = label;
        return this;
    }

    public Figure HorizontalLine(double y, string? label = null)
    {
        var h = Plot.Add.HorizontalLine(y);
        h.Color = Next();
        h.LinePattern = LinePattern.Dashed;
        if (label != null) h.LegendText = label;
        return this;
    }

    /// <summary>Save as PNG or SVG (per the sink's <see cref="OutputSink.FigureFormat"/>; legend shown when any
    /// series is labelled) and record it in the sink.</summary>
    public string Save(OutputSink sink, string name, int width = 900, int height = 600)
    {
        Plot.ShowLegend();
        bool svg = sink.FigureFormat == FigureFormat.Svg;
        string path = sink.PathFor(name + (svg ? ".svg" : ".png"));
        if (svg) Plot.SaveSvg(path, width, height);
        else Plot.SavePng(path, width, height);
        return sink.Record(path);
    }
}
