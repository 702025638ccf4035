using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog.Extensions.Logging;

namespace Foobar.ServiceDefaults;

/// <summary>
/// Turns an exception that stopped the host into one clear log line and an exit code. The host and its logger
/// factory may never have been built, so the line goes through a factory over Serilog's current logger (the
/// configured one, or stage one of the bootstrap when configuration failed).
/// </summary>
public static partial class StartupFailure
{
    /// <summary>Exit code for a configuration the process refuses to start with.</summary>
    public const int BadConfiguration = 2;

    public static int Report(Exception exception)
    {
        using var factory = new SerilogLoggerFactory();
        var logger = factory.CreateLogger(typeof(StartupFailure));
        // Options read while the host starts (e.g. by YARP loading its configuration) arrive wrapped; report the key.
        if (exception is not OptionsValidationException && exception.InnerException is OptionsValidationException wrapped)
        {
            exception = wrapped;
        }

        switch (exception)
        {
            case OptionsValidationException invalid:
                var reason = string.Join("; ", invalid.Failures);
                Log.BadConfiguration(logger, reason);
                Console.Error.WriteLine($"error: bad configuration: {reason}");
                return BadConfiguration;
            case InvalidOperationException bind when bind.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                Log.BadConfiguration(logger, bind.Message);
                Console.Error.WriteLine($"error: bad configuration: {bind.Message}");
                return BadConfiguration;
            case IOException io when io.InnerException is System.Net.Sockets.SocketException || io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase):
                Log.CannotListen(logger, io.Message);
                Console.Error.WriteLine($"error: cannot listen: {io.Message}");
                return 1;
            default:
                Log.HostTerminated(logger, exception);
                return 1;
        }
    }
}
