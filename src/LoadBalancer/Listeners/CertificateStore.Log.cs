namespace Foobar.LoadBalancer.Listeners;

internal static partial class CertificateStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SelfSignedCertificateCreated, Level = LogLevel.Warning, Message = "Made a self-signed TLS certificate {Path} ({Thumbprint}, valid until {NotAfter}); configure Tls:CertificatePath and Tls:KeyPath for a real one")]
        public static partial void Created(ILogger logger, string path, string thumbprint, DateTime notAfter);
    }
}
