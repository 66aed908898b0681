using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SplitNet.Server;

/// <summary>
/// Builds the daemon: Kestrel with HTTP/2 (TLS or h2c) for gRPC on <see cref="SplitNetServerOptions.Port"/>
/// and, when enabled, plain HTTP/1.1 for the Prometheus endpoint on <see cref="SplitNetServerOptions.MetricsPort"/>.
/// </summary>
public static class SplitNetServerHost
{
    /// <summary>
    /// Creates (but does not start) the server from configuration (appsettings.json, environment,
    /// <paramref name="args"/>) and then <paramref name="configure"/>. Port 0 picks a free port;
    /// read it from <c>app.Urls</c> after start. <paramref name="services"/> adds to the server's
    /// services, e.g. an <see cref="Models.Split.ISplitModelFamily"/> for a model of one's own.
    /// </summary>
    public static WebApplication Build(string[] args, Action<SplitNetServerOptions>? configure = null, LogLevel minimumLogLevel = LogLevel.Information, string? configFile = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
        }
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        // One line per call and per scrape would drown the server's own events.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSplitNetServer(builder.Configuration, configure);
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<SplitNetServerOptions>>().Value;
            var address = IPAddress.Parse(options.Address);
            kestrel.Limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(options.KeepAliveTimeoutSeconds);
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.RequestHeadersTimeoutSeconds);
            kestrel.Limits.MinRequestBodyDataRate = options.MinRequestBodyBytesPerSecond == 0 ? null
                : new MinDataRate(options.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
            if (options.KeepAlivePingSeconds > 0)
            {
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(options.KeepAlivePingSeconds);
                kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(options.KeepAlivePingSeconds);
            }
            kestrel.Listen(address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.Tls is { } tls)
                {
                    listen.UseHttps(https => UseCertificates(https, tls));
                }
            });
            if (options.MetricsPort > 0)
            {
                kestrel.Listen(address, options.MetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        var app = builder.Build();
        app.MapSplitNet();
        return app;
    }

    /// <summary>Completes once every model is loaded and warmed up (health SERVING); faults if start-up failed.</summary>
    public static Task WhenReadyAsync(this WebApplication app, CancellationToken cancellation = default) =>
        app.Services.GetRequiredService<Serving.ModelManager>().WhenReady.WaitAsync(cancellation);

    /// <summary>The batcher's queue right now: frames waiting, the most ever waiting, and the bound.</summary>
    public static (int Pending, int Peak, int Capacity) QueueStatus(this WebApplication app)
    {
        var queue = app.Services.GetRequiredService<Inference.InferenceEngine>().Queue;
        return (queue.Pending, queue.Peak, queue.Capacity);
    }

    private static void UseCertificates(HttpsConnectionAdapterOptions https, TlsOptions tls)
    {
        https.ServerCertificate = LoadPem(tls.CertificateFile, tls.KeyFile);
        if (tls.ClientCaFile is null)
        {
            return;
        }
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(tls.ClientCaFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"{tls.ClientCaFile}: cannot read the client CA certificates ({e.Message})", e);
        }
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        };
    }

    private static X509Certificate2 LoadPem(string certificateFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"{certificateFile} / {keyFile}: cannot load the TLS certificate and key ({e.Message})", e);
        }
    }
}
