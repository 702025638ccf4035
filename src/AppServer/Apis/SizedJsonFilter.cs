using Microsoft.AspNetCore.Http.HttpResults;

namespace Foobar.AppServer.Apis;

/// <summary>
/// Sends the messages API's successful results (<see cref="Ok{TValue}"/>, <see cref="Created{TValue}"/>) as
/// <see cref="SizedJsonResult"/>, so the handlers keep their typed results, and with them the OpenAPI description,
/// while the wire gets one response with a Content-Length instead of a chunked one. Problems pass as they are.
/// </summary>
internal sealed class SizedJsonFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        return (result is INestedHttpResult nested ? nested.Result : result) switch
        {
            Created<MessageResponse> { Value: { } created } answer => new SizedJsonResult(StatusCodes.Status201Created, created, answer.Location),
            // Ok<T> is the one 200 result with a value and no content type of its own (JsonHttpResult and
            // ProblemHttpResult carry theirs, and are left to write themselves).
            IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK } and IValueHttpResult { Value: { } value } and not IContentTypeHttpResult
                => new SizedJsonResult(StatusCodes.Status200OK, value, location: null),
            _ => result,
        };
    }
}
