using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Foobar.LoadBalancer.Listeners;

/// <summary>
/// The self-signed certificate used when no PEM files are configured: made once, kept as PEM under the TLS directory
/// and reused, so a browser exception or a pinned test certificate survives restarts. Both load balancers of the local
/// stack share the directory and may start together, hence the lock file around "check, else make".
/// </summary>
internal static partial class CertificateStore
{
    public const string CertificateFile = "www.foobar.com.crt.pem";
    public const string KeyFile = "www.foobar.com.key.pem";

    /// <summary>Names the certificate is valid for: the site, its apex (which redirects) and loopback.</summary>
    public static readonly string[] DnsNames = ["www.foobar.com", "foobar.com", "localhost"];

    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    // Renew a little before expiry so a long-running stack never serves an expired certificate on restart.
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(14);

    /// <summary>Returns the PEM certificate and key paths, making them first if missing, unreadable or near expiry.</summary>
    public static (string CertificatePath, string KeyPath) EnsureSelfSigned(string directory, TimeProvider time, ILogger logger)
    {
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        var certificatePath = Path.Combine(root, CertificateFile);
        var keyPath = Path.Combine(root, KeyFile);

        using var _ = AcquireLock(Path.Combine(root, ".lock"));
        if (IsUsable(certificatePath, keyPath, time))
        {
            return (certificatePath, keyPath);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=www.foobar.com, O=foobar self-signed", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in DnsNames)
        {
            names.AddDnsName(name);
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(Lifetime));

        // Write both under temporary names, then rename: a reader never sees half a file.
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        WriteAtomically(certificatePath, certificate.ExportCertificatePem(), secret: false);
        Log.Created(logger, certificatePath, certificate.Thumbprint, certificate.NotAfter);
        return (certificatePath, keyPath);
    }

    private static bool IsUsable(string certificatePath, string keyPath, TimeProvider time)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return false;
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            return certificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime > RenewBefore;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static void WriteAtomically(string path, string content, bool secret)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }
}
