using System.Globalization;
using ScottPlot;

namespace Intermediary.Bench;

/// <summary>The load harness's chart: median throughput per path with the range over rounds, CPU per request in the labels.</summary>
internal static class ResultsChart
{
    public static void Write(Report report, string path)
    {
        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var i = 0; i < report.Targets.Count; i++)
        {
            var target = report.Targets[i];
            var rounds = target.Saturated;
            var median = Report.Median(rounds, r => r.Wrk.RequestsPerSecond);
            var cpu = Report.Median(rounds, r => r.CpuMicrosecondsPerRequest);
            bars.Add(new Bar
            {
                Position = i,
                Value = median,
                ValueBase = 0,
                Error = (rounds.Max(r => r.Wrk.RequestsPerSecond) - rounds.Min(r => r.Wrk.RequestsPerSecond)) / 2,
                FillColor = target.Id == "C" ? Colors.SteelBlue : Colors.Gray,
                Label = double.IsNaN(cpu)
                    ? string.Create(CultureInfo.InvariantCulture, $"{median:N0} req/s")
                    : string.Create(CultureInfo.InvariantCulture, $"{median:N0} req/s, {cpu:0} µs CPU/req"),
            });
            ticks.Add(new Tick(i, $"{target.Id}: {target.Name}"));
        }

        var series = plot.Add.Bars(bars);
        series.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.2);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"GET of a 1 KiB JSON list through each path ({report.Date:yyyy-MM-dd}, {report.Commit})"));
        plot.YLabel("requests per second (median; bar = range over rounds)");
        plot.SavePng(path, 1100, 600);
    }
}
