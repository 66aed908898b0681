using System.Security.Cryptography;
using SplitNet.Codec;
using SplitNet.Edge;
using SplitNet.Models.Bundles;
using SplitNet.Models.Data;
using SplitNet.Models.Split;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Tests;

/// <summary>
/// The bytes the shipped models put on the wire for the 500-image sample, pinned by SHA-256 of
/// the concatenated payloads (recorded before the split abstraction replaced the model-specific
/// edge code). A change to any of them changes what every deployed server receives.
/// </summary>
public sealed class ShippedPayloadTests
{
    private static readonly string ShippedEdge = Path.Combine(AppContext.BaseDirectory, "assets", "models", "entropic", "edge");
    private static readonly LabeledImages Sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    [Theory]
    [InlineData(0, 4161, "25bb3fff79fc94e55bba467bddad0fb8b978467fdbbb24b8c93328aa0c75ae7b")]
    [InlineData(1, 5797, "4386e77c4264eada7d33c1e2d5f2d272e31bd09d1ecdc60349f8fb2857322279")]
    [InlineData(2, 8558, "689249d13b955235ebd94da2a5add9c24678fb836d0993ffcf5ca8bab7d5cc37")]
    [InlineData(3, 11134, "36a4599a382b2393267a2689cc684340554c4ef64329efcc6450641aea027388")]
    [InlineData(4, 21242, "c9dd29c5be1a3c1bfa47ed2c46c583fceedadc4e5c3d321f9358cd58cb1e5f5b")]
    public void EntropicLevel_OnTheSample_CodesTheBytesItAlwaysHas(uint level, long bytes, string sha256)
    {
        using var model = SplitModel.Load(ShippedEdge, BundleSide.Edge, TorchFamilies.All);
        var head = new LatentEdgeHead(model, level);

        Assert.Equal((bytes, sha256), Digest(i => head.Encode(Sample.Image(i)).Payload));
    }

    [Fact]
    public void FeatureSplit_Stage2Affine8_CodesTheBytesItAlwaysHas()
    {
        var (teacher, manifest) = TeacherBundle.Load(ServerFixture.TeacherDirectory);
        using (teacher)
        {
            var head = LocalTeacher.Head(teacher, manifest, TeacherStage.Stage2, CodecId.Affine8Lz4);

            // Payload format 2: 4 bytes of checksum per frame more than format 1's 4,672,903. The float
            // features behind the 8-bit levels differ in the last bit between CPUs (libtorch picks its
            // kernels by instruction set), which moves a few levels and LZ4 bytes: 4,674,903 on one
            // machine, 4,674,896 on another. The size is pinned to 0.01 %; every payload must decode to
            // this machine's features within one quantisation step.
            long bytes = 0;
            for (int i = 0; i < Sample.Count; i++)
            {
                var payload = head.Encode(Sample.Image(i));
                bytes += payload.Length;
                Assert.Equal(DecodeStatus.Ok, FeatureCodec.TryDecode(payload, out var header, out var decoded, out _));
                var features = head.Features(Sample.Image(i));
                Assert.All(features.Zip(decoded), p => Assert.True(Math.Abs(p.First - p.Second) <= header.Scale * 0.5001f + 1e-6f));
            }
            Assert.InRange(bytes, 4674903L - 470, 4674903L + 470);
        }
    }

    private static (long Bytes, string Sha256) Digest(Func<int, byte[]> encode)
    {
        Assert.Equal(500, Sample.Count);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        for (int i = 0; i < Sample.Count; i++)
        {
            var payload = encode(i);
            bytes += payload.Length;
            hash.AppendData(payload);
        }
        return (bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
