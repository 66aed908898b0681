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
    [InlineData(0, 3232, "4e4aecb12f8670aecdd4912ef2954b5a09a349bc829b597762feedf813ee1712")]
    [InlineData(1, 3398, "1f2c4362f4f6f7fcfafec485cbda6ce6c984f3bad97597bf0807be35c6b7236e")]
    [InlineData(2, 4756, "52db06420062e3cd96ef246e21da29db54f23412d5c4f113df514c16de8d2b99")]
    [InlineData(3, 5350, "045bc28a0cdb639641bcf696e3d3072cc5a0c8ce476f8d7ef9ccd2d355df05fa")]
    [InlineData(4, 6097, "aa8229fb868e8cb590029d90524993bdae2f2a05e9a8d728bb72bf8eaf3c4195")]
    [InlineData(5, 8648, "d9c346381e81dd613ef1f8f8315c4430a2eaa1cfacc9522366400294d3543f9c")]
    [InlineData(6, 14077, "53f77e78d92f9aa29e6fb241fb3d7a67f17511f87203979d281d05a4eab9ef16")]
    [InlineData(7, 38143, "e0d82a73195e92695cb506e6d1a1c8fbe91ba64d1045147586f2d64033879aa9")]
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
