using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SplitNet.Edge.Resilience;

/// <summary>The HTTP handler behind each server channel: TLS trust and client certificate from PEM files.</summary>
internal static class EdgeTls
{
    public static SocketsHttpHandler Handler(EdgeClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        if (options.ServerCaFile is { } caFile)
        {
            var authorities = new X509Certificate2Collection();
            try
            {
                authorities.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is CryptographicException or IOException)
            {
                throw new InvalidDataException($"{caFile}: cannot read the server CA certificates ({e.Message})", e);
            }
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is X509Certificate2 presented && chain.Build(presented);
            };
        }
        if (options.ClientCertificate is { } client)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(client.CertificateFile, client.KeyFile);
                // Exported and re-imported so the key is usable by the TLS stack on every platform.
                handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
            }
            catch (Exception e) when (e is CryptographicException or IOException)
            {
                throw new InvalidDataException($"{client.CertificateFile} / {client.KeyFile}: cannot load the client certificate and key ({e.Message})", e);
            }
        }
        return handler;
    }
}
