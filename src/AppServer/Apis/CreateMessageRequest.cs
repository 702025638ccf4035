namespace Foobar.AppServer.Apis;

/// <summary>Body of POST /api/messages.</summary>
public sealed record CreateMessageRequest(string? Author, string? Text);
