using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using SplitNet.Codec;
using SplitNet.Contracts.Inference;
using SplitNet.Contracts.V1;
using SplitNet.Edge;
using SplitNet.Edge.Resilience;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>A server with mutual TLS and API keys: what gets through and what is refused.</summary>
public sealed class SecurityTests : FunctionalTest, IAsyncLifetime
{
    private const string ApiKey = "k-7f3c2a";
    private readonly TestCertificates _certificates = new();
    private TestServer _server = null!;
    private byte[] _payload = [];

    public async Task InitializeAsync()
    {
        _server = await StartServerAsync(options =>
        {
            options.Models = [ServerFixture.TeacherDirectory];
            options.ApiKeys = [ApiKey, "another-key"];
            options.Tls = new TlsOptions
            {
                CertificateFile = _certificates.ServerCertificateFile,
                KeyFile = _certificates.ServerKeyFile,
                ClientCaFile = _certificates.AuthorityFile,
            };
        });
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using var _ = teacher;
        _payload = LocalTeacher.Head(teacher, manifest, TeacherStage.Stage2, CodecId.Affine8Lz4).Encode(new byte[784]);
    }

    private Task<InferResponse> InferAsync(string? authorization, bool clientCertificate = true)
    {
        var channel = _server.Channel(_certificates.Handler(clientCertificate ? _certificates.Client : null));
        var headers = authorization is null ? [] : new Metadata { { "authorization", authorization } };
        return new SplitInference.SplitInferenceClient(channel).InferAsync(new InferRequest { Payload = ByteString.CopyFrom(_payload) }, headers).ResponseAsync;
    }

    [Fact]
    public async Task Infer_OverMutualTlsWithAKnownKey_IsAnswered()
    {
        Assert.StartsWith("https://", _server.Url);
        Assert.NotEmpty((await InferAsync($"Bearer {ApiKey}").WithTimeout()).Predictions);
    }

    [Theory]
    [InlineData(null, "missing authorization")]
    [InlineData("Bearer wrong-key", "unknown API key")]
    [InlineData("Basic abc", "not a Bearer token")]
    public async Task Infer_WithoutAKnownKey_IsUnauthenticated(string? authorization, string detail)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => InferAsync(authorization)).WithTimeout();
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(detail, error.Status.Detail);
    }

    [Fact]
    public async Task ManyCallsWithoutAKey_AreLoggedAFewTimesASecondWithTheRestCounted()
    {
        using var channel = _server.Channel(_certificates.Handler(_certificates.Client));
        var client = new SplitInference.SplitInferenceClient(channel);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 300; i++)
        {
            await Assert.ThrowsAsync<RpcException>(async () => await client.InferAsync(new InferRequest { Payload = ByteString.CopyFrom(_payload) }).WithTimeout());
        }
        var seconds = clock.Elapsed.TotalSeconds;
        // Throttled lines are written after the call is refused; give the last one a moment.
        await Task.Delay(100);

        var lines = _server.Logs.Entries.Where(e => e.EventId.Id == 8).ToArray();
        Assert.InRange(lines.Length, 1, 10 * (Math.Ceiling(seconds) + 1));
        if (seconds < 1)
        {
            Assert.Equal(10, lines.Length);
        }
    }

    [Fact]
    public async Task ProbesWithoutAKey_AreAnsweredButOpenInferenceCallsAreNot()
    {
        using var channel = _server.Channel(_certificates.Handler(_certificates.Client));
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        var protocol = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        Assert.True((await protocol.ServerReadyAsync(new ServerReadyRequest()).WithTimeout()).Ready);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await protocol.ModelMetadataAsync(new ModelMetadataRequest { Name = "fmnist-resnet" }).WithTimeout());
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Infer_WithoutAClientCertificate_IsRefused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => InferAsync($"Bearer {ApiKey}", clientCertificate: false)).WithTimeout();
        // Under TLS 1.3 the client may finish its side of the handshake before the server's alert
        // arrives; the call then fails on the broken connection instead of on connect.
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }

    [Fact]
    public async Task EdgeClient_WithTheCaTheClientCertificateAndAKey_IsAnswered()
    {
        await using var client = new EdgeClient(new EdgeClientOptions
        {
            Endpoints = [new Uri(_server.Url)],
            ApiKey = ApiKey,
            ServerCaFile = _certificates.AuthorityFile,
            ClientCertificate = (_certificates.ClientCertificateFile, _certificates.ClientKeyFile),
            // The first call pays the TLS handshake on a machine busy with the other test classes.
            FrameDeadline = TimeSpan.FromSeconds(10),
        }, open: null);

        var answer = await client.InferAsync(1, new EncodedFrame(_payload, 0)).WithTimeout();

        Assert.True(answer.Succeeded, answer.Failure);
        Assert.Equal(AnswerSource.Server, answer.Source);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync().WithTimeout();
        _certificates.Dispose();
    }
}
