using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Kestrel's half of inline socket completions. The runtime switch (<see cref="ServiceEnvironment.InlineSocketCompletionsVariable"/>)
/// only runs the socket's completion on the epoll thread; Kestrel still hands each request to the thread pool and each
/// response to an I/O queue, so every request woke two pool threads: about 1.2 thread-pool work items per request and
/// the largest single kernel cost in the proxies' profiles (finish_task_switch, 17-19% of their CPU). With the switch
/// on, the tiers whose pipeline never blocks (the load balancer and the web tier: no disk, no database) run the request
/// and the send where the data arrived, as Kestrel's UnsafePreferInlineScheduling documents.
/// </summary>
public static class InlineSchedulingRegistration
{
    public static WebApplicationBuilder AddInlineSchedulingWhenEnabled(this WebApplicationBuilder builder)
    {
        if (Environment.GetEnvironmentVariable(ServiceEnvironment.InlineSocketCompletionsVariable) == "1")
        {
            builder.Services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
        }

        return builder;
    }
}
