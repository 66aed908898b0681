using SplitNet.Codec;
using SplitNet.Contracts.V1;
using SplitNet.Models.Teacher;
using SplitNet.Server.Tests;

namespace SplitNet.Edge.Tests;

[Collection(nameof(ServerCollection))]
public sealed class StreamingSessionTests(ServerFixture server) : FunctionalTest(server.Logs)
{
    [Fact]
    public async Task StreamingSession_MoreFramesThanTheWindow_NeverHasMoreInFlight()
    {
        const int window = 3;
        var head = LocalTeacher.Head(server.Teacher, server.Manifest, TeacherStage.Stage2, CodecId.Affine8Lz4);
        await using var session = new StreamingSession(server.Client, window);
        var answers = new List<Task<InferResponse>>();
        for (int i = 0; i < 30; i++)
        {
            answers.Add(await session.SendAsync((ulong)i, head.Encode(server.Sample.Image(i))).WithTimeout());
            Assert.InRange(session.InFlight, 0, window);
        }
        await session.CompleteAsync().WithTimeout();

        var responses = await Task.WhenAll(answers).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (ulong)i), responses.Select(r => r.FrameId));
        Assert.Equal(0, session.Unmatched);
    }
}
