using Foobar.Data;
using Foobar.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Foobar.AppServer.Database;

internal static class DatabaseRegistration
{
    public static WebApplicationBuilder AddFoobarDatabase(this WebApplicationBuilder builder)
    {
        builder.AddValidatedOptions<ConnectionStringsOptions>(ConnectionStringsOptions.Section);
        builder.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);

        builder.Services.AddSingleton(services =>
        {
            var connection = services.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Foobar;
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var csb = new NpgsqlConnectionStringBuilder(connection)
            {
                Timeout = database.ConnectTimeoutSeconds,
                CommandTimeout = database.CommandTimeoutSeconds,
                MaxPoolSize = database.MaxPoolSize,
            };
            return new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
        });
        builder.Services.AddDbContextPool<FoobarDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        builder.Services.AddHealthChecks().AddDbContextCheck<FoobarDbContext>("database");
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DatabaseTopologyMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DatabaseTopologyMonitor>());
        return builder;
    }

    /// <summary><c>/internal/database</c> (management listener only): the primary, its standbys and lag, failovers seen.</summary>
    public static IEndpointRouteBuilder MapDatabaseTopology(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/internal/database", (DatabaseTopologyMonitor monitor) => TypedResults.Ok(monitor.Current));
        return endpoints;
    }
}
