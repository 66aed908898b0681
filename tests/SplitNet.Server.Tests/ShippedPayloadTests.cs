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
/// the concatenated payloads (recorded when the model was exported). A change to any of them
/// changes what every deployed server receives.
/// </summary>
public sealed class ShippedPayloadTests
{
    private static readonly string ShippedEdge = SplitModelBundle.SideDirectory(ServerFixture.ShippedSplitModelDirectory, BundleSide.Edge);
    private static readonly LabeledImages Sample = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fashion-mnist-sample"), DatasetSplit.Test);

    [Theory]
    [InlineData(0, 3121, "97c56b4bb650a3c224a144846c28fa64c955a1b91088a3359b0b7c47c6d6d0ae")]
    [InlineData(1, 3867, "77d0ae756cd178c47c047dab953325c0e2a07745585df7045c1b64882da95eec")]
    [InlineData(2, 5023, "9dfb29a21ec626f466bb0fce957ef3522978666f845d4b98300c1f257b697c24")]
    [InlineData(3, 5440, "f48e3773f1d8fa9b4e28d45725a79291056492de4d0ccff9dce7674c54bd3d1b")]
    [InlineData(4, 6109, "e5d862666b99db0195939ec85b0de149c8864eb90ff6001e19fd662e855e2d08")]
    [InlineData(5, 8543, "21534279f4c3951cbd6c960d43ef3b7d591956d52d2ba10e11c83a125c08ba07")]
    [InlineData(6, 13439, "b970a390218b19e69ecbcb08da84142f11395b64956ef7039d066490e14ea11f")]
    [InlineData(7, 38361, "d0cbeba731366a705ea5c5d5ee7f4046ffd6f58660d5a6ae9691d4b9349ca386")]
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
