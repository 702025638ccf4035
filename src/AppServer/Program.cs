using Foobar.AppServer.Apis;
using Foobar.AppServer.Database;
using Foobar.ServiceDefaults;
using Serilog;

if (HealthcheckCommand.IsRequested(args))
{
    return await HealthcheckCommand.RunAsync(args);
}

BootstrapLogger.Install();
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddFoobarDatabase();
    builder.AddMessagesApi();

    var app = builder.Build();
    if (args is ["migrate", ..])
    {
        return await MigrateCommand.RunAsync(app.Services);
    }

    app.UseServiceDefaults();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.MapDefaultEndpoints();
    app.MapOpenApi();
    app.MapMessagesApi();
    app.MapDatabaseTopology();
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
