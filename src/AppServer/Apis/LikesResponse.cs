namespace Foobar.AppServer.Apis;

public sealed record LikesResponse(long Id, int Likes);
