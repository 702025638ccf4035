using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Foobar.WebServer.Site;

/// <summary>The static site: assets from wwwroot (held in memory) through MapStaticAssets, security headers, friendly error pages.</summary>
internal static class SiteRegistration
{
    public static WebApplicationBuilder AddSite(this WebApplicationBuilder builder)
    {
        // Build output (dotnet run, the Launcher, tests) has no wwwroot folder, only a manifest pointing at the
        // sources; ASP.NET reads it by itself in Development only. Published output has wwwroot and no manifest.
        builder.WebHost.UseStaticWebAssets();
        // Serving a build manifest, MapStaticAssets assumes hot reload: no-cache everywhere, a fallback for any
        // file under wwwroot, and on-the-fly re-compression (with ETags that never match) of files that differ
        // from the manifest, as our placeholder-rewritten index.html does. Serve the manifest as built, the way
        // published output is served.
        builder.Configuration["ReloadStaticAssetsAtRuntime"] = "false";
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ErrorPageWriter>();
        // Ready means "can serve the site": the static asset endpoints are mapped. Deliberately not the app tier:
        // a web server with every app server down still serves pages and 503s, so the LB must keep routing to it.
        builder.Services.AddHealthChecks().AddCheck<StaticSiteHealthCheck>("site");
        return builder;
    }

    public static WebApplication UseSite(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeadersMiddleware>();
        var errorPages = app.Services.GetRequiredService<ErrorPageWriter>();
        app.UseStatusCodePages(errorPages.WriteAsync);
        // MapStaticAssets maps files, not directories: the board lives at "/".
        app.Use((context, next) =>
        {
            if (context.Request.Path == "/")
            {
                context.Request.Path = "/index.html";
            }

            return next(context);
        });
        app.UseRouting();
        return app;
    }

    public static IEndpointRouteBuilder MapSite(this IEndpointRouteBuilder endpoints)
    {
        // Before MapStaticAssets, whose endpoints take the web root's file provider when they are built.
        var environment = endpoints.ServiceProvider.GetRequiredService<IWebHostEnvironment>();
        environment.WebRootFileProvider = new InMemoryFileProvider(environment.WebRootFileProvider);
        endpoints.MapStaticAssets();
        return endpoints;
    }
}
