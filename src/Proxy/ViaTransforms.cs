using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Foobar.Proxy;

/// <summary>
/// RFC 9110 7.6.3: a proxy appends <c>received-protocol received-by</c> to Via on the messages it forwards,
/// requests and responses alike. The site reads the response's Via to show the path that served it.
/// </summary>
public static class ViaTransforms
{
    public static void Add(TransformBuilderContext context, string node)
    {
        context.AddRequestTransform(transform =>
        {
            var existing = RequestTransform.TakeHeader(transform, HeaderNames.Via);
            RequestTransform.AddHeader(transform, HeaderNames.Via, Append(existing, $"{Protocol(transform.HttpContext.Request.Protocol)} {node}"));
            return default;
        });
        context.AddResponseTransform(transform =>
        {
            if (transform.ProxyResponse is { } response)
            {
                var existing = ResponseTransform.TakeHeader(transform, HeaderNames.Via);
                ResponseTransform.SetHeader(transform, HeaderNames.Via, Append(existing, $"{Protocol(response.Version)} {node}"));
            }

            return default;
        });
    }

    /// <summary>RFC 9110's received-protocol for an ASP.NET protocol string: <c>HTTP/1.1</c> is <c>1.1</c>, <c>HTTP/2</c> is <c>2</c>.</summary>
    public static string Protocol(string protocol) =>
        protocol.StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase) ? protocol[5..] : protocol;

    public static string Protocol(Version version) =>
        version.Major >= 2 ? version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{version.Major}.{version.Minor}";

    // One comma-separated line rather than repeated header lines: easier for every reader, same meaning (RFC 9110 5.3).
    private static StringValues Append(StringValues existing, string hop) =>
        StringValues.IsNullOrEmpty(existing) ? hop : $"{string.Join(", ", existing.ToArray())}, {hop}";
}
