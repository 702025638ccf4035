using Foobar.Data;

namespace Foobar.AppServer.Apis;

public sealed record MessageResponse(long Id, string Author, string Text, DateTimeOffset CreatedAt, int Likes, string CreatedBy)
{
    public static MessageResponse From(Message m) => new(m.Id, m.Author, m.Text, m.CreatedAt, m.Likes, m.CreatedBy);
}
