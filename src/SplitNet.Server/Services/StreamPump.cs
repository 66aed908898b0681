using System.Threading.Channels;
using Grpc.Core;

namespace SplitNet.Server.Services;

/// <summary>
/// The bidi-stream loop both protocols share: reads frames, answers up to <c>window</c> of them
/// concurrently (answers may leave out of order), writes answers from one loop (stream writes
/// must be serial), stops reading while the window is full so HTTP/2 flow control pushes back on
/// the client, and on shutdown stops reading, answers what it took and ends with UNAVAILABLE.
/// A client that sends no whole message for <c>idle</c> (an abandoned stream, or a message
/// dripped a byte at a time) has its stream ended the same way: HTTP/2 data rates are not
/// enforced on streaming calls, since a camera may rightly pause.
/// </summary>
internal static class StreamPump
{
    /// <param name="answer">
    /// Answers the n-th message; null for a control message (nothing to send back). The task
    /// never faults: per-frame failures are answers. An <see cref="RpcException"/> thrown by it
    /// ends the call with that status once the frames read before are answered.
    /// </param>
    public static async Task<long> RunAsync<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requests,
        IServerStreamWriter<TResponse> responses,
        ServerCallContext context,
        int window,
        TimeSpan idle,
        CancellationToken stopping,
        Func<TRequest, long, Task<TResponse>?> answer)
    {
        var answers = Channel.CreateBounded<TResponse>(new BoundedChannelOptions(window) { SingleReader = true });
        var writing = WriteAllAsync(answers.Reader, responses);
        using var slots = new SemaphoreSlim(window, window);
        using var silence = new CancellationTokenSource();
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping, silence.Token);
        long frames = 0;
        RpcException? ending = null;
        try
        {
            try
            {
                while (Listen(silence, idle) && await requests.MoveNext(reading.Token).ConfigureAwait(false))
                {
                    // A full window is the server's wait, not the client's silence.
                    silence.CancelAfter(Timeout.InfiniteTimeSpan);
                    await slots.WaitAsync(reading.Token).ConfigureAwait(false);
                    Task<TResponse>? answering;
                    try
                    {
                        answering = answer(requests.Current, frames);
                    }
                    catch (RpcException e)
                    {
                        // A message that ends the call (a misplaced or ambiguous control message):
                        // stop reading, answer every frame read before it, then end with its status.
                        slots.Release();
                        ending = e;
                        break;
                    }
                    if (answering is null)
                    {
                        slots.Release();
                        continue;
                    }
                    frames++;
                    _ = ForwardAsync(answering, answers.Writer, slots, context.CancellationToken);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // Shutdown: stop reading; the frames already taken are still answered below.
            }
            catch (OperationCanceledException) when (silence.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                ending = new RpcException(new Status(StatusCode.Unavailable,
                    $"no whole message for {idle.TotalSeconds:0.#} s: the stream is closed; every frame read was answered; open a new one"));
            }
            for (int i = 0; i < window; i++)
            {
                await slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The client reset or dropped its stream: nobody is left to answer, and it is no
            // server error (the frames in flight finish and their answers are dropped).
            return frames;
        }
        finally
        {
            answers.Writer.TryComplete();
            await writing.ConfigureAwait(false);
        }
        if (ending is not null)
        {
            throw ending;
        }
        if (stopping.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "server is shutting down; every frame it read was answered; reconnect to another replica"));
        }
        return frames;
    }

    /// <summary>Starts the silence timer before a read; always true.</summary>
    private static bool Listen(CancellationTokenSource silence, TimeSpan idle)
    {
        silence.CancelAfter(idle);
        return true;
    }

    private static async Task ForwardAsync<TResponse>(Task<TResponse> answering, ChannelWriter<TResponse> answers, SemaphoreSlim slots, CancellationToken call)
    {
        try
        {
            await answers.WriteAsync(await answering.ConfigureAwait(false), call).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The call is over; nobody is left to read this answer.
        }
        finally
        {
            slots.Release();
        }
    }

    private static async Task WriteAllAsync<TResponse>(ChannelReader<TResponse> answers, IServerStreamWriter<TResponse> responses)
    {
        try
        {
            await foreach (var answer in answers.ReadAllAsync().ConfigureAwait(false))
            {
                await responses.WriteAsync(answer).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The call completed or the client reset its stream while answers were still pending.
        }
    }
}
