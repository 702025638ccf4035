using Microsoft.Extensions.Options;
using Serilog;

namespace Foobar.ServiceDefaults;

/// <summary>Turns an exception that stopped the host into one clear log line and an exit code.</summary>
public static class StartupFailure
{
    /// <summary>Exit code for a configuration the process refuses to start with.</summary>
    public const int BadConfiguration = 2;

    public static int Report(Exception exception)
    {
        // Options read while the host starts (e.g. by YARP loading its configuration) arrive wrapped; report the key.
        if (exception is not OptionsValidationException && exception.InnerException is OptionsValidationException wrapped)
        {
            exception = wrapped;
        }

        switch (exception)
        {
            case OptionsValidationException invalid:
                var reason = string.Join("; ", invalid.Failures);
                Log.Fatal("Refusing to start, bad configuration: {Reason}", reason);
                Console.Error.WriteLine($"error: bad configuration: {reason}");
                return BadConfiguration;
            case InvalidOperationException bind when bind.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                Log.Fatal("Refusing to start, bad configuration: {Reason}", bind.Message);
                Console.Error.WriteLine($"error: bad configuration: {bind.Message}");
                return BadConfiguration;
            case IOException io when io.InnerException is System.Net.Sockets.SocketException || io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase):
                Log.Fatal("Cannot listen: {Reason}", io.Message);
                Console.Error.WriteLine($"error: cannot listen: {io.Message}");
                return 1;
            default:
                Log.Fatal(exception, "Host terminated unexpectedly");
                return 1;
        }
    }
}
