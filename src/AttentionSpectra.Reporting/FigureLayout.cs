using ScottPlot;

namespace AttentionSpectra.Reporting;

/// <summary>The figures created while a <see cref="Figure.Observe"/> scope was open, in creation order.</summary>
public sealed class FigureObservation : IDisposable
{
    private readonly List<Figure> _figures = [];

    internal FigureObservation(FigureObservation? outer) => Outer = outer;

    internal FigureObservation? Outer { get; }

    /// <summary>The figures seen so far.</summary>
    public IReadOnlyList<Figure> Figures { get { lock (_figures) return [.. _figures]; } }

    internal void Add(Figure f)
    {
        lock (_figures) _figures.Add(f);
        Outer?.Add(f);
    }

    /// <summary>Stops observing (the enclosing scope, if any, observes again).</summary>
    public void Dispose() => Figure.EndObservation(this);
}

/// <summary>A data point, or a sample along a drawn line, bar edge or reference line, hidden by the legend.</summary>
/// <param name="Series">Legend text of the series (or its kind when it has none).</param>
/// <param name="X">Data x.</param>
/// <param name="Y">Data y.</param>
public sealed record CoveredPoint(string Series, double X, double Y);

/// <summary>Layout facts of a rendered figure, for checks that it reads as a paper figure.</summary>
/// <param name="Title">Title text.</param>
/// <param name="XLabel">Bottom axis label.</param>
/// <param name="YLabel">Left axis label.</param>
/// <param name="Width">Width of the render, pixels.</param>
/// <param name="Height">Height of the render, pixels.</param>
/// <param name="DataRect">The data area, pixels.</param>
/// <param name="InnerLegend">The legend's rectangle when it is drawn inside the data area, else null.</param>
/// <param name="LegendItems">Number of legend entries (inside or outside).</param>
/// <param name="Covered">Data the inner legend covers (empty when there is none).</param>
public sealed record FigureLayout(string Title, string XLabel, string YLabel, float Width, float Height,
    PixelRect DataRect, PixelRect? InnerLegend, int LegendItems, IReadOnlyList<CoveredPoint> Covered)
{
    /// <summary>Pixel step of the samples taken along lines and bar edges.</summary>
    private const float Step = 2;

    internal static FigureLayout Of(Figure figure, int width, int height)
    {
        var plot = figure.Plot;
        if (plot.RenderManager.LastRender.FigureRect.Width <= 0) plot.GetImage(width, height);
        var rp = plot.RenderManager.LastRender;
        var data = rp.DataRect;
        var inner = plot.Legend.IsVisible ? plot.Legend.GetItems() : [];
        PixelRect? legend = null;
        if (inner.Length > 0)
        {
            var size = plot.Legend.LastRenderSize;
            legend = new PixelRect(0, size.Width, size.Height, 0)
                .AlignedInside(data.Contract(plot.Legend.Margin), plot.Legend.Alignment);
        }
        int items = plot.PlottableList.Where(p => p.IsVisible).SelectMany(p => p.LegendItems)
            .Count(i => !string.IsNullOrEmpty(i.LabelText)) + plot.Legend.ManualItems.Count
            + (figure.OutsideLegend?.ManualItems.Count ?? 0);
        var covered = new List<CoveredPoint>();
        if (legend is { } lr)
            foreach (var p in plot.PlottableList.Where(p => p.IsVisible && p is not Legend))
                foreach (var (x, y) in Samples(plot, p, data))
                    if (lr.Contains(plot.GetPixel(new Coordinates(x, y))))
                        covered.Add(new CoveredPoint(Name(p), x, y));
        return new FigureLayout(plot.Axes.Title.Label.Text, plot.Axes.Bottom.Label.Text, plot.Axes.Left.Label.Text,
            rp.FigureRect.Width, rp.FigureRect.Height, data, legend, items, covered);
    }

    private static string Name(IPlottable p) =>
        p is IHasLegendText { LegendText: { Length: > 0 } t } ? t : p.GetType().Name;

    /// <summary>Data coordinates of the points a plottable draws: markers, samples along its line segments, error
    /// bars, bar outlines and reference lines (within the data area).</summary>
    private static IEnumerable<(double X, double Y)> Samples(Plot plot, IPlottable p, PixelRect data)
    {
        var xs = plot.Axes.Bottom; var ys = plot.Axes.Left;
        IEnumerable<(double, double)> Segment(double x0, double y0, double x1, double y1)
        {
            var a = plot.GetPixel(new Coordinates(x0, y0));
            var b = plot.GetPixel(new Coordinates(x1, y1));
            double len = Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
            int n = double.IsFinite(len) ? Math.Min(10_000, (int)Math.Ceiling(len / Step)) : 0;
            for (int i = 0; i <= n; i++)
            {
                double t = n == 0 ? 0 : i / (double)n;
                yield return (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
            }
        }
        switch (p)
        {
            case ScottPlot.Plottables.Scatter s:
            {
                var pts = s.Data.GetScatterPoints();
                if (s.MarkerSize > 0 || s.LineWidth <= 0)
                    foreach (var c in pts) yield return (c.X, c.Y);
                if (s.LineWidth > 0)
                    for (int i = 1; i < pts.Count; i++)
                        foreach (var q in Segment(pts[i - 1].X, pts[i - 1].Y, pts[i].X, pts[i].Y)) yield return q;
                break;
            }
            case ScottPlot.Plottables.ErrorBar e:
                for (int i = 0; i < e.Xs.Count; i++)
                {
                    double lo = e.Ys[i] - (e.YErrorNegative is { } n ? n[i] : 0);
                    double hi = e.Ys[i] + (e.YErrorPositive is { } q ? q[i] : 0);
                    foreach (var s in Segment(e.Xs[i], lo, e.Xs[i], hi)) yield return s;
                }
                break;
            case ScottPlot.Plottables.BarPlot b:
                foreach (var bar in b.Bars)
                {
                    double l = bar.Position - bar.Size / 2, r = bar.Position + bar.Size / 2;
                    foreach (var s in Segment(l, bar.Value, r, bar.Value)) yield return s;
                    foreach (var s in Segment(l, bar.ValueBase, l, bar.Value)) yield return s;
                    foreach (var s in Segment(r, bar.ValueBase, r, bar.Value)) yield return s;
                }
                break;
            case ScottPlot.Plottables.VerticalLine v:
                foreach (var s in Segment(v.X, ys.GetCoordinate(data.Bottom, data), v.X, ys.GetCoordinate(data.Top, data)))
                    yield return s;
                break;
            case ScottPlot.Plottables.HorizontalLine h:
                foreach (var s in Segment(xs.GetCoordinate(data.Left, data), h.Y, xs.GetCoordinate(data.Right, data), h.Y))
                    yield return s;
                break;
        }
    }
}
