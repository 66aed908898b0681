using Grpc.Core;
using SplitNet.Server.Services;

namespace SplitNet.Server.Tests;

/// <summary>The bidi loop of both protocols, driven without a network.</summary>
public sealed class StreamPumpTests
{
    [Fact]
    public async Task RunAsync_ClientResetsItsStream_EndsQuietlyAfterTheFramesItTook()
    {
        var requests = new Requests(["a", "b"], then: new IOException("The client reset the request stream."));
        var responses = new Responses();
        using var stopping = new CancellationTokenSource();

        long frames = await StreamPump.RunAsync(requests, responses, new CallContext(), window: 4, Timeout.InfiniteTimeSpan, stopping.Token,
            (request, _) => Task.FromResult(request.ToUpperInvariant())).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, frames);
    }

    [Fact]
    public async Task RunAsync_ShutdownWhileReading_AnswersWhatItTookAndEndsUnavailable()
    {
        var requests = new Requests(["a"], then: null);
        var responses = new Responses();
        using var stopping = new CancellationTokenSource();

        var run = StreamPump.RunAsync(requests, responses, new CallContext(), window: 4, Timeout.InfiniteTimeSpan, stopping.Token,
            (request, _) => Task.FromResult(request.ToUpperInvariant()));
        await requests.Drained.WaitAsync(TimeSpan.FromSeconds(30));
        stopping.Cancel();
        var error = await Assert.ThrowsAsync<RpcException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(["A"], responses.Written);
    }

    /// <summary>Yields its messages, then throws <c>then</c>, or (null) waits until cancelled.</summary>
    private sealed class Requests(string[] messages, Exception? then) : IAsyncStreamReader<string>
    {
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _next;

        public Task Drained => _drained.Task;
        public string Current => messages[_next - 1];

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next < messages.Length)
            {
                _next++;
                return true;
            }
            _drained.TrySetResult();
            if (then is not null)
            {
                throw then;
            }
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return false;
        }
    }

    private sealed class Responses : IServerStreamWriter<string>
    {
        public List<string> Written { get; } = [];
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(string message)
        {
            lock (Written)
            {
                Written.Add(message);
            }
            return Task.CompletedTask;
        }
    }

    private sealed class CallContext : ServerCallContext
    {
        protected override string MethodCore => "/test/Stream";
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore { get; } = [];
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore { get; } = new(null, []);
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
