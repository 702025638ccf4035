using System.ComponentModel.DataAnnotations;

namespace Foobar.Proxy;

/// <summary>Re-sending a request whose upstream failed before answering (HAProxy's <c>retries 1</c> + <c>option redispatch</c>).</summary>
public sealed record RetrySettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Request bodies up to this size are buffered so that they can be sent again; larger or unknown-length
    /// bodies are streamed and never retried. 64 KiB is the app tier's own body limit.
    /// </summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; init; } = 64 * 1024;
}
