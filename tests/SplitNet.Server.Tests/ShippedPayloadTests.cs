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
    [InlineData(0, 3295, "d937b9d108c96f1b613a1d7507304364e6012177588815f4cb3c3bd60f53bd41")]
    [InlineData(1, 3560, "a3f9a13a0ee2c4ba9b624a0324118939473f07419d1f775821b1710b0cc4793f")]
    [InlineData(2, 4923, "f416a2ad62657268501bf3cce68cc5294bdd224857a234299a338f96f4236bba")]
    [InlineData(3, 5450, "19f1bf363995e8b071835ee80c1041a31485d998d7598c6893155cad32aa0f17")]
    [InlineData(4, 6401, "58d8160d306bce85e4517344b235f255d3b53a6a25ec1bb2969f6e1e7b79b193")]
    [InlineData(5, 9081, "df687698f45bd8da8826ea57edd97f10d8f53b0e43c4749836e14c3512f24a6e")]
    [InlineData(6, 15032, "264aa0b445af0bc167aa939a0acd78342d8ec8baf086dcf98056f6d5685cd944")]
    [InlineData(7, 36180, "6a31f10b90777afb6220b9428761fb342f9634263c9ea7e8f26a5365649a3dde")]
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
