using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election.Endpoint;

/// <summary>
/// Puts <see cref="KeepAliveDrain"/> first in the pipeline of a load balancer pair, so that every response on the public
/// listeners (proxied, error page, redirect) closes its connection once the node drains before letting go.
/// </summary>
internal sealed class KeepAliveDrainStartupFilter(KeepAliveDrain drain, IOptions<ElectionOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.Enabled)
        {
            app.Use(drain.InvokeAsync);
        }

        next(app);
    };
}
