using System.Globalization;

namespace Foobar.LoadBalancer.Monitoring;

/// <summary>
/// The few numbers the dashboard reads from a node's /metrics (Prometheus text format 0.0.4): one line per sample,
/// <c>name{labels} value</c>. Only what <see cref="NodeReading"/> needs, summed over label sets unless filtered.
/// </summary>
internal sealed class PrometheusText
{
    private readonly List<(string Name, string Labels, double Value)> _samples = [];

    public PrometheusText(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            Add(line);
        }
    }

    private PrometheusText()
    {
    }

    /// <summary>
    /// Reads the text line by line as it arrives. An app server's /metrics is over 100 KB: read whole into one string,
    /// it went to the large object heap, and the probes' once-a-second reads of every node made each load balancer run
    /// a full blocking collection every 8 s or so, idle or not (bench/README.md, "Stop 18").
    /// </summary>
    public static async Task<PrometheusText> ReadAsync(Stream stream, CancellationToken ct)
    {
        var text = new PrometheusText();
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            text.Add(line);
        }

        return text;
    }

    private void Add(ReadOnlySpan<char> raw)
    {
        var line = raw.Trim();
        if (line.IsEmpty || line[0] == '#')
        {
            return;
        }

        var brace = line.IndexOf('{');
        var space = line.LastIndexOf(' ');
        if (space <= 0)
        {
            return;
        }

        var name = brace > 0 && brace < space ? line[..brace] : line[..space];
        var labels = brace > 0 && brace < space ? line[brace..(line[..space].LastIndexOf('}') + 1)] : default;
        if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            _samples.Add((name.ToString(), labels.ToString(), value));
        }
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose label text contains all of <paramref name="labels"/>.</summary>
    public double? Sum(string name, params string[] labels)
    {
        double? sum = null;
        foreach (var sample in _samples)
        {
            if (sample.Name == name && labels.All(l => sample.Labels.Contains(l, StringComparison.Ordinal)))
            {
                sum = (sum ?? 0) + sample.Value;
            }
        }

        return sum;
    }

    /// <summary>Every sample of <paramref name="name"/> that has the label <paramref name="label"/>, with that label's value.</summary>
    public IEnumerable<(string Label, double Value)> ByLabel(string name, string label)
    {
        var key = label + "=\"";
        foreach (var sample in _samples.Where(s => s.Name == name))
        {
            var at = sample.Labels.IndexOf(key, StringComparison.Ordinal);
            if (at >= 0 && (at == 1 || sample.Labels[at - 1] == ','))
            {
                var start = at + key.Length;
                yield return (sample.Labels[start..sample.Labels.IndexOf('"', start)], sample.Value);
            }
        }
    }

    /// <summary>Cumulative histogram buckets of <paramref name="name"/> (<c>_bucket</c>), summed over other labels, by upper bound.</summary>
    public SortedDictionary<double, double> Buckets(string name)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var sample in _samples.Where(s => s.Name == name + "_bucket"))
        {
            var at = sample.Labels.IndexOf("le=\"", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var text = sample.Labels[(at + 4)..sample.Labels.IndexOf('"', at + 4)];
            var bound = text == "+Inf" ? double.PositiveInfinity : double.Parse(text, CultureInfo.InvariantCulture);
            buckets[bound] = buckets.GetValueOrDefault(bound) + sample.Value;
        }

        return buckets;
    }
}
