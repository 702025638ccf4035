using Foobar.LoadBalancer.Hosting;
using Foobar.ServiceDefaults;
using Serilog;

if (HealthcheckCommand.IsRequested(args))
{
    return await HealthcheckCommand.RunAsync(LoadBalancerHealthcheck.Arguments(args));
}

BootstrapLogger.Install();
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddLoadBalancerConfigurationDefaults();
    builder.AddServiceDefaults();
    builder.AddLoadBalancer();

    var app = builder.Build();
    app.UseServiceDefaults();
    app.UseLoadBalancer();
    app.MapLoadBalancer();
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
