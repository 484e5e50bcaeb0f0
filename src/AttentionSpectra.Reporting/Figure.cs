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

    private static readonly AsyncLocal<FigureObservation?> Observer = new();
    private Legend? _outsideLegend;

    /// <summary>The legend drawn beside the data area, when <see cref="LegendOutside"/> moved it there.</summary>
    internal Legend? OutsideLegend => _outsideLegend;

    /// <summary>The underlying ScottPlot plot, for anything the helpers below do not cover.</summary>
    public Plot Plot { get; } = new();

    /// <summary>An empty figure with its title and axis labels.</summary>
    public Figure(string title, string xLabel, string yLabel)
    {
        Plot.Title(title);
        Plot.XLabel(xLabel);
        Plot.YLabel(yLabel);
        Observer.Value?.Add(this);
    }

    /// <summary>Collects every figure created on this logical call context (and the tasks it starts) until the
    /// returned observation is disposed, so a check can inspect the figures a command made after it saved them.
    /// </summary>
    public static FigureObservation Observe()
    {
        var o = new FigureObservation(Observer.Value);
        Observer.Value = o;
        return o;
    }

    internal static void EndObservation(FigureObservation o) => Observer.Value = o.Outer;

    private Color Next() => Palette[_colorIndex++ % Palette.Length];

    /// <summary>Colour <paramref name="i"/> of the figures' palette (the order series get their colours in).</summary>
    internal static Color PaletteColor(int i) => Palette[i % Palette.Length];

    /// <summary>Adds a line through (<paramref name="xs"/>, <paramref name="ys"/>) in the next palette colour, with
    /// markers when asked; labelled lines appear in the legend.</summary>
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

    /// <summary>Adds markers at (<paramref name="xs"/>, <paramref name="ys"/>), with vertical error bars of half-width
    /// <paramref name="yErr"/> when given.</summary>
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

    /// <summary>Adds a dashed vertical reference line at <paramref name="x"/>.</summary>
    public Figure VerticalLine(double x, string? label = null, Color? color = null)
    {
        var v = Plot.Add.VerticalLine(x);
        v.Color = color ?? Next();
        v.LinePattern = LinePattern.Dashed;
        if (label != null) v.LegendText = label;
        return this;
    }

    /// <summary>Adds a dashed horizontal reference line at <paramref name="y"/>.</summary>
    public Figure HorizontalLine(double y, string? label = null, Color? color = null)
    {
        var h = Plot.Add.HorizontalLine(y);
        h.Color = color ?? Next();
        h.LinePattern = LinePattern.Dashed;
        if (label != null) h.LegendText = label;
        return this;
    }

    /// <summary>Draws the legend, one entry per line, in a panel beside the data area (right or below), so it can
    /// never cover data; notes added with <see cref="Note"/> go into it.</summary>
    /// <param name="edge">Side of the figure the legend goes to.</param>
    public Figure LegendOutside(Edge edge = Edge.Right)
    {
        if (_outsideLegend != null) return this;
        // the plot's own legend keeps no items (so it draws nothing, even when shown), the panel's one lists them
        var outside = new Legend(Plot)
        {
            Orientation = Orientation.Vertical,
            ManualItems = Plot.Legend.ManualItems,
        };
        Plot.Legend.DisplayPlottableLegendItems = false;
        Plot.Legend.ManualItems = [];
        Plot.Axes.AddPanel(new ScottPlot.Panels.LegendPanel(outside)
        {
            Edge = edge, Alignment = edge.IsVertical() ? Alignment.UpperCenter : Alignment.MiddleCenter,
            Padding = new PixelPadding(8, 8),
        });
        _outsideLegend = outside;
        return this;
    }

    /// <summary>Adds a line of text without a symbol to the legend (a caption note: what a line means, why a point
    /// stands out).</summary>
    /// <param name="text">The note; may contain line breaks.</param>
    public Figure Note(string text)
    {
        // one entry per line: the legend gives every entry the height of its tallest one
        foreach (var line in text.Split('\n'))
            Entry(new LegendItem
            {
                LabelText = line, LineWidth = 0, MarkerShape = MarkerShape.None, FillColor = Colors.Transparent,
                OutlineWidth = 0,
            });
        return this;
    }

    /// <summary>Adds a legend entry of its own (e.g. one entry for a theory line and its simulated points in the
    /// same colour); it goes to the legend outside when <see cref="LegendOutside"/> was called first.</summary>
    /// <param name="item">The entry.</param>
    public Figure Entry(LegendItem item)
    {
        (_outsideLegend ?? Plot.Legend).ManualItems.Add(item);
        return this;
    }

    /// <summary>Log-scaled y axis for data already given as log10 values: major ticks at integer powers labelled
    /// 10^k, minor ticks at 2..9 times them.</summary>
    public Figure Log10YAxis()
    {
        Plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Power10(y),
        };
        return this;
    }

    /// <summary>"10" with the integer exponent <paramref name="log10"/> as superscript digits.</summary>
    internal static string Power10(double log10)
    {
        const string sup = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        string e = Math.Round(log10).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        return "10" + string.Concat(e.Select(c => c == '-' ? '⁻' : sup[c - '0']));
    }

    /// <summary>Layout facts of the figure as last rendered (a render at <paramref name="width"/> x
    /// <paramref name="height"/> is made first if it never was): its labels, the data area, the legend drawn inside
    /// the data area (if any) and every plotted data point or sample of a drawn line that the legend covers.</summary>
    /// <param name="width">Width of the render made when there is none yet.</param>
    /// <param name="height">Height of that render.</param>
    public FigureLayout Layout(int width = 900, int height = 600) => FigureLayout.Of(this, width, height);

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
