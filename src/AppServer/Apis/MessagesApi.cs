using System.Globalization;
using Foobar.Data;
using Foobar.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Foobar.AppServer.Apis;

/// <summary>The foobar board: list, post (idempotent with Idempotency-Key), read one, like.</summary>
internal static class MessagesApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static WebApplicationBuilder AddMessagesApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        return builder;
    }

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/messages").WithTags("Messages").AddEndpointFilter<SizedJsonFilter>();
        api.MapGet("/", ListMessages).WithName(nameof(ListMessages));
        api.MapPost("/", CreateMessage).WithName(nameof(CreateMessage))
            .WithMetadata(new RequestSizeLimitAttribute(MessageRules.MaxBodyBytes))
            .Accepts<CreateMessageRequest>("application/json");
        api.MapGet("/{id:long}", GetMessage).WithName(nameof(GetMessage));
        api.MapPost("/{id:long}/likes", LikeMessage).WithName(nameof(LikeMessage));
        return app;
    }

    public static async Task<Results<Ok<MessagePage>, ValidationProblem>> ListMessages(
        string? limit, string? before, FoobarDbContext db, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var take = MessageRules.DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) || take is < 1 or > MessageRules.MaxLimit))
        {
            errors["limit"] = [$"limit must be an integer from 1 to {MessageRules.MaxLimit}"];
        }

        long? cursor = null;
        if (before is not null)
        {
            if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
            {
                cursor = id;
            }
            else
            {
                errors["before"] = ["before must be a positive message id"];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Keyset pagination on the identity key: ids only grow, so "older than X" is "id < X" and each page
        // is an index range scan, however deep the reader scrolls.
        var query = db.Messages.AsNoTracking();
        if (cursor is { } c)
        {
            query = query.Where(m => m.Id < c);
        }

        var page = await query.OrderByDescending(m => m.Id).Take(take + 1).ToListAsync(ct);
        var items = page.Take(take).Select(MessageResponse.From).ToList();
        return TypedResults.Ok(new MessagePage(items, page.Count > take ? items[^1].Id : null));
    }

    public static async Task<Results<Created<MessageResponse>, ValidationProblem, ProblemHttpResult>> CreateMessage(
        CreateMessageRequest? request,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        FoobarDbContext db,
        IOptions<NodeOptions> node,
        HttpContext context,
        CancellationToken ct)
    {
        var errors = MessageRules.Validate(request?.Author, request?.Text, out var author, out var text);
        if (idempotencyKey is not null && MessageRules.ValidateIdempotencyKey(idempotencyKey) is { } keyError)
        {
            errors[IdempotencyKeyHeader] = [keyError];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (idempotencyKey is not null && await FindByKeyAsync(db, idempotencyKey, ct) is { } earlier)
        {
            return Replay(earlier, author, text, context);
        }

        var message = new Message { Author = author, Text = text, CreatedBy = node.Value.Name, IdempotencyKey = idempotencyKey };
        db.Messages.Add(message);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && idempotencyKey is not null)
        {
            // Another app server stored the same key between our lookup and insert: the unique index
            // decided, and the winner's row is the answer for both.
            db.ChangeTracker.Clear();
            var winner = await FindByKeyAsync(db, idempotencyKey, ct)
                ?? throw new InvalidOperationException("Idempotency key conflicted but no row holds it", ex);
            return Replay(winner, author, text, context);
        }

        // created_at is set by the database; read it back so the response matches what later GETs return.
        await db.Entry(message).ReloadAsync(ct);
        return TypedResults.Created($"/api/messages/{message.Id}", MessageResponse.From(message));
    }

    public static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> GetMessage(long id, FoobarDbContext db, CancellationToken ct) =>
        await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) is { } message
            ? TypedResults.Ok(MessageResponse.From(message))
            : NotFound(id);

    public static async Task<Results<Ok<LikesResponse>, ValidationProblem, ProblemHttpResult>> LikeMessage(
        long id,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        FoobarDbContext db,
        HttpContext context,
        CancellationToken ct)
    {
        if (idempotencyKey is null)
        {
            return await IncrementLikesAsync(db, id, ct) is { } count ? TypedResults.Ok(new LikesResponse(id, count)) : NotFound(id);
        }

        if (MessageRules.ValidateIdempotencyKey(idempotencyKey) is { } keyError)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyKeyHeader] = [keyError] });
        }

        // The receipt and the increment commit together: a retry with the same key either finds the receipt
        // (and counts nothing) or, if the first attempt never committed, counts now. A concurrent twin waits
        // on the receipt's unique key until the first commits, then finds it.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var receipted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO like_receipts (idempotency_key, message_id) SELECT {idempotencyKey}, id FROM messages WHERE id = {id} ON CONFLICT (idempotency_key) DO NOTHING",
            ct);
        if (receipted == 1)
        {
            var likes = await IncrementLikesAsync(db, id, ct);
            await transaction.CommitAsync(ct);
            return TypedResults.Ok(new LikesResponse(id, likes!.Value));
        }

        var earlier = await db.LikeReceipts.AsNoTracking().FirstOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, ct);
        if (earlier is null)
        {
            return NotFound(id);
        }

        if (earlier.MessageId != id)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Idempotency-Key reused for another message",
                detail: $"The key was first used to like message {earlier.MessageId}; use a new key for a new like.");
        }

        var current = await db.Messages.AsNoTracking().Where(m => m.Id == id).Select(m => m.Likes).SingleAsync(ct);
        context.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Ok(new LikesResponse(id, current));
    }

    // One statement, so concurrent likes on any number of app servers never lose an update.
    private static async Task<int?> IncrementLikesAsync(FoobarDbContext db, long id, CancellationToken ct) =>
        await db.Database
            .SqlQuery<int>($"UPDATE messages SET likes = likes + 1 WHERE id = {id} RETURNING likes AS \"Value\"")
            .ToListAsync(ct) is [var count] ? count : null;

    private static Task<Message?> FindByKeyAsync(FoobarDbContext db, string key, CancellationToken ct) =>
        db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.IdempotencyKey == key, ct);

    private static Results<Created<MessageResponse>, ValidationProblem, ProblemHttpResult> Replay(
        Message earlier, string author, string text, HttpContext context)
    {
        if (earlier.Author != author || earlier.Text != text)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Idempotency-Key reused with a different message",
                detail: $"The key was first used for message {earlier.Id} with other content; use a new key for a new message.");
        }

        context.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Created($"/api/messages/{earlier.Id}", MessageResponse.From(earlier));
    }

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Message not found", detail: $"There is no message {id}.");
}
