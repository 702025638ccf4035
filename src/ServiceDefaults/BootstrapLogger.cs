using Serilog;
using Serilog.Formatting.Compact;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Stage one of Serilog's two-stage bootstrap: a console logger that exists before configuration
/// is read, so a failure while building the host is still logged. <see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>
/// replaces it with the configured logger.
/// </summary>
public static class BootstrapLogger
{
    public static void Install() =>
        Log.Logger = new LoggerConfiguration()
            .Enrich.FromLogContext()
            .WriteTo.Console(new RenderedCompactJsonFormatter())
            .CreateBootstrapLogger();
}
