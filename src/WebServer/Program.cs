using Foobar.ServiceDefaults;
using Foobar.WebServer.AppTier;
using Foobar.WebServer.Site;
using Foobar.WebServer.Status;
using Serilog;

if (HealthcheckCommand.IsRequested(args))
{
    return await HealthcheckCommand.RunAsync(args);
}

BootstrapLogger.Install();
try
{
    // The site's files are found next to the binary, whatever directory the process was started from.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddServiceDefaults();
    builder.AddSite();
    builder.AddAppTier();

    var app = builder.Build();
    app.UseServiceDefaults();
    app.UseSite();
    app.MapDefaultEndpoints();
    app.MapStatusApi();
    app.MapAppTier();
    app.MapSite();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    return StartupFailure.Report(ex);
}
finally
{
    await Log.CloseAndFlushAsync();
}
