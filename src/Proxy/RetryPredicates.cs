using Microsoft.AspNetCore.Http;

namespace Foobar.Proxy;

/// <summary>Ready-made <see cref="ProxyDefinition.RetryWhen"/> choices.</summary>
public static class RetryPredicates
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>GET and HEAD: RFC 9110 9.2.1 safe methods, which a server must not treat as changing anything.</summary>
    public static bool SafeMethods(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

    /// <summary>Safe methods, plus any request carrying an Idempotency-Key, which the app tier deduplicates.</summary>
    public static bool SafeMethodsOrIdempotencyKey(HttpRequest request) =>
        SafeMethods(request) || request.Headers.ContainsKey(IdempotencyKeyHeader);
}
