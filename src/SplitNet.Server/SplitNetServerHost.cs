using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SplitNet.Server;

/// <summary>Builds the daemon: Kestrel with plain-text HTTP/2 (h2c) on one endpoint and the SplitNet services.</summary>
public static class SplitNetServerHost
{
    /// <summary>
    /// Creates (but does not start) the server. Port 0 picks a free port; read it from
    /// <c>app.Urls</c> after start.
    /// </summary>
    public static WebApplication Build(
        string[] args,
        IPAddress address,
        int port,
        Action<SplitNetServerOptions>? configure = null,
        LogLevel minimumLogLevel = LogLevel.Information)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddSplitNetServer(builder.Configuration, configure);
        var app = builder.Build();
        app.MapSplitNet();
        return app;
    }
}
