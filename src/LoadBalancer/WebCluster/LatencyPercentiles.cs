namespace Foobar.LoadBalancer.WebCluster;

/// <summary>Latency of the recent requests to one web server, in milliseconds, over <see cref="Samples"/> requests.</summary>
internal sealed record LatencyPercentiles(double P50, double P90, double P99, double Max, int Samples);
