using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SplitNet.Server.Tests;

/// <summary>A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("splitnet-tls-").FullName;
    private readonly DateTimeOffset _validFrom = DateTimeOffset.UtcNow.AddMinutes(-5);
    private readonly DateTimeOffset _validUntil = DateTimeOffset.UtcNow.AddDays(1);

    public TestCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SplitNet test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // The CA outlives its leaves, whatever second each is issued in.
        Authority = caRequest.CreateSelfSigned(_validFrom, _validUntil.AddDays(1));
        File.WriteAllText(AuthorityFile, Authority.ExportCertificatePem());

        var server = Issue("CN=127.0.0.1", "1.3.6.1.5.5.7.3.1", serverName: true);
        File.WriteAllText(ServerCertificateFile, server.Certificate.ExportCertificatePem());
        File.WriteAllText(ServerKeyFile, server.Key.ExportPkcs8PrivateKeyPem());
        var client = Issue("CN=edge-1", "1.3.6.1.5.5.7.3.2", serverName: false);
        File.WriteAllText(ClientCertificateFile, client.Certificate.ExportCertificatePem());
        File.WriteAllText(ClientKeyFile, client.Key.ExportPkcs8PrivateKeyPem());
        Client = X509CertificateLoader.LoadPkcs12(client.Certificate.CopyWithPrivateKey(client.Key).Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 Authority { get; }
    public X509Certificate2 Client { get; }
    public string AuthorityFile => Path.Combine(_directory, "ca.pem");
    public string ServerCertificateFile => Path.Combine(_directory, "server.pem");
    public string ServerKeyFile => Path.Combine(_directory, "server.key");
    public string ClientCertificateFile => Path.Combine(_directory, "client.pem");
    public string ClientKeyFile => Path.Combine(_directory, "client.key");

    /// <summary>A client handler that trusts only the test CA and presents <paramref name="certificate"/>.</summary>
    public SocketsHttpHandler Handler(X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return presented is X509Certificate2 c && chain.Build(c);
        };
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }
        return handler;
    }

    private (X509Certificate2 Certificate, ECDsa Key) Issue(string subject, string usage, bool serverName)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (serverName)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        var certificate = request.Create(Authority, _validFrom, _validUntil, RandomNumberGenerator.GetBytes(8));
        return (certificate, key);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
