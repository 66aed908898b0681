using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SplitNet.Server.Tests;

/// <summary>
/// Clients that hold a connection without using it: silent sockets, a dripped HTTP/2 preface, a
/// stream message or a unary body dripped a byte at a time. Each must be let go within its limit.
/// </summary>
public sealed class SlowClientTests : FunctionalTest
{
    private static readonly TimeSpan Drip = TimeSpan.FromMilliseconds(200);

    private Task<TestServer> StartAsync() => StartServerAsync(options =>
    {
        options.Models = [ServerFixture.TeacherDirectory];
        options.KeepAliveTimeoutSeconds = 1;
        options.StreamIdleTimeoutSeconds = 1;
    });

    /// <summary>Sends <paramref name="first"/>, then one byte of <paramref name="rest"/> per <see cref="Drip"/>; returns how long until the server closed the socket.</summary>
    private static async Task<TimeSpan> HeldForAsync(TestServer server, byte[] first, byte[] rest)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(server.Url).Port);
        var stream = client.GetStream();
        var held = Stopwatch.StartNew();
        await stream.WriteAsync(first);
        var closed = DrainUntilClosedAsync(stream);
        foreach (var b in rest)
        {
            if (await Task.WhenAny(closed, Task.Delay(Drip)) == closed)
            {
                break;
            }
            try
            {
                await stream.WriteAsync(new[] { b });
            }
            catch (IOException)
            {
                break;
            }
        }
        await closed.WithTimeout(TimeSpan.FromSeconds(20));
        return held.Elapsed;
    }

    private static async Task DrainUntilClosedAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the server: closed too.
        }
    }

    private static readonly byte[] Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    [Fact]
    public async Task SilentConnection_IsClosedAfterTheKeepAliveTimeout()
    {
        await using var server = await StartAsync();

        var held = await HeldForAsync(server, [], []);

        Assert.InRange(held, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task DrippedPreface_IsClosedAfterTheKeepAliveTimeout()
    {
        await using var server = await StartAsync();

        var held = await HeldForAsync(server, Preface[..1], Preface[1..]);

        // The whole preface would take 4.6 s at this pace.
        Assert.InRange(held, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task StreamMessageDrippedAByteAtATime_EndsTheStreamWithUnavailable()
    {
        await using var server = await StartAsync();
        using var http = new HttpMessageInvoker(new SocketsHttpHandler());
        // A gRPC message announcing 1,000 bytes, of which one arrives per drip.
        var content = new DripContent([0, 0, 0, 0x03, 0xE8], Drip);
        content.Headers.ContentType = new("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url + "/splitnet.v1.SplitInference/InferStream")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var held = Stopwatch.StartNew();

        using var response = await http.SendAsync(request, CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(20));
        await response.Content.ReadAsByteArrayAsync().WithTimeout();

        Assert.InRange(held.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal("14", Trailer(response, "grpc-status"));
        Assert.Contains("no whole message", Uri.UnescapeDataString(Trailer(response, "grpc-message")));
    }

    private static string Trailer(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var values) || response.Headers.TryGetValues(name, out values) ? values.Single() : "";

    /// <summary>A request body that writes its first bytes, then one zero byte per interval until the server stops reading.</summary>
    private sealed class DripContent(byte[] first, TimeSpan interval) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(first);
            await stream.FlushAsync();
            try
            {
                for (int i = 0; i < 1000; i++)
                {
                    await Task.Delay(interval);
                    await stream.WriteAsync(new byte[1]);
                    await stream.FlushAsync();
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                // The server ended the call.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
