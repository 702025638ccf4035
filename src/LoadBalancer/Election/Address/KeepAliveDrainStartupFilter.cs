using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Foobar.LoadBalancer.Election.Address;

/// <summary>
/// Puts <see cref="KeepAliveDrain"/> first in the pipeline in <c>address</c> mode, so that every response on the
/// public listeners (proxied, error page, redirect) closes its connection once a graceful stop drains.
/// </summary>
internal sealed class KeepAliveDrainStartupFilter(KeepAliveDrain drain, IOptions<ElectionOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.Enabled && options.Value.Mode == ElectionOptions.AddressMode)
        {
            app.Use(drain.InvokeAsync);
        }

        next(app);
    };
}
