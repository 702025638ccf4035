namespace Foobar.AppServer.Apis;

/// <summary>One page of messages, newest first; pass <see cref="NextBefore"/> as <c>before</c> for the next page.</summary>
public sealed record MessagePage(IReadOnlyList<MessageResponse> Items, long? NextBefore);
