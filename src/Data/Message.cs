namespace Foobar.Data;

/// <summary>A post on the foobar board.</summary>
public sealed class Message
{
    public long Id { get; set; }

    public required string Author { get; set; }

    public required string Text { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public int Likes { get; set; }

    /// <summary>Node name of the app server that stored the post.</summary>
    public required string CreatedBy { get; set; }

    /// <summary>Client-chosen key that makes a retried POST return the first result instead of a second row.</summary>
    public string? IdempotencyKey { get; set; }
}
