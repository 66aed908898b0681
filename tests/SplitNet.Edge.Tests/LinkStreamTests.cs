using Grpc.Core;
using SplitNet.Contracts.V1;
using SplitNet.Edge.Resilience;

namespace SplitNet.Edge.Tests;

/// <summary>One stream to one server, over a call whose writes and end the test controls.</summary>
public sealed class LinkStreamTests
{
    [Fact]
    public async Task DisposeAsync_StuckWriteAndAFrameBehindIt_BothFailUnavailableAtOnce()
    {
        var invoker = new StuckWriteInvoker();
        var stream = new LinkStream(new SplitInference.SplitInferenceClient(invoker), open: null);
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var stuck = stream.SendAsync(new InferRequest { FrameId = 1 }, budget.Token);
        await invoker.WriteStarted.WaitAsync(TimeSpan.FromSeconds(20));
        var behind = stream.SendAsync(new InferRequest { FrameId = 2 }, budget.Token);

        await stream.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        // Both frames learn at once that the stream is gone (and are resent elsewhere), instead of waiting out their budget.
        foreach (var frame in new[] { stuck, behind })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => frame).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }
    }

    /// <summary>A duplex call whose writes hang, whatever happens to the call, until their token fires (a transport that does not notice).</summary>
    private sealed class StuckWriteInvoker : CallInvoker
    {
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WriteStarted => _writeStarted.Task;

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            new(new Writer<TRequest>(this), new Reader<TResponse>(_disposed.Task), Task.FromResult(new Metadata()),
                () => Status.DefaultCancelled, () => [], () => _disposed.TrySetResult());

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();
        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();
        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

        private sealed class Writer<T>(StuckWriteInvoker invoker) : IClientStreamWriter<T>
        {
            public WriteOptions? WriteOptions { get; set; }

            public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

            public async Task WriteAsync(T message, CancellationToken cancellationToken)
            {
                invoker._writeStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            public Task CompleteAsync() => Task.CompletedTask;
        }

        private sealed class Reader<T>(Task disposed) : IAsyncStreamReader<T>
        {
            public T Current => default!;

            public async Task<bool> MoveNext(CancellationToken cancellationToken)
            {
                await disposed;
                throw new RpcException(new Status(StatusCode.Cancelled, "call disposed"));
            }
        }
    }
}
