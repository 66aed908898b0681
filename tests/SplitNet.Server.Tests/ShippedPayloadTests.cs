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
    [InlineData(0, 2975, "46ab325c1744f764c1acc71bcc818d68f7434038a34bf560ca3d811de8b3a1f5")]
    [InlineData(1, 3743, "34afb6f80b01219370e34468ae88a1652149515afcf5cb941cac730cea59ab67")]
    [InlineData(2, 4699, "347aaecaaaebf6c61b65adb8a77651e8a74280e4f7505b01b7b24363e6bcc0b6")]
    [InlineData(3, 5034, "314230cd2b6f830fc6eafe452c9cf3d486e71cd3ce2191ae088a3997f0cf2129")]
    [InlineData(4, 5744, "03a0f742fece506fa8563d2244d276e33877b0da323451b21e896dcf0ff425b0")]
    [InlineData(5, 8864, "31b4c864f51da9efed866dcca8c4e85cbcd9118e3980a57ab470350608a338b1")]
    [InlineData(6, 10591, "2653a6212f7afd38a49a058ac519eadefa85dd776051799cdc070a845bbda6db")]
    [InlineData(7, 13042, "855410230c3d396fcb803af4c7d431d5dac0be7bc6538fc3d07b0a3dda1644e8")]
    [InlineData(8, 24347, "c9d9f52ddf821e1ad91e4a8640a48fd962a3ba45dcf3d75697dba2e88558cb45")]
    [InlineData(9, 36666, "cb52469ea3fae218a47882fec6b10981f1a60005c74b30e1e9051dad201c7df0")]
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
