using System.Runtime.CompilerServices;
using Grpc.Core;

namespace SplitNet.Server.Tests;

/// <summary>
/// Bounds an await in a functional test, so a hang fails that test fast with the awaited
/// expression in its message instead of holding the run until the hang detector stops it.
/// </summary>
public static class TaskTimeouts
{
    /// <summary>How long an awaited operation may take unless the test says otherwise.</summary>
    public static TimeSpan Default { get; } = TimeSpan.FromSeconds(30);

    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(task))] string operation = "")
    {
        var limit = timeout ?? Default;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException e) when (!task.IsCompleted)
        {
            throw Hung(operation, limit, e);
        }
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(task))] string operation = "")
    {
        await ((Task)task).WithTimeout(timeout, operation);
        return await task;
    }

    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(task))] string operation = "") =>
        task.AsTask().WithTimeout(timeout, operation);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(task))] string operation = "") =>
        task.AsTask().WithTimeout(timeout, operation);

    public static Task<T> WithTimeout<T>(this AsyncUnaryCall<T> call, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(call))] string operation = "") =>
        call.ResponseAsync.WithTimeout(timeout, operation);

    private static TimeoutException Hung(string operation, TimeSpan limit, Exception inner) =>
        new($"'{operation}' did not finish within {limit.TotalSeconds:F0} s", inner);
}
