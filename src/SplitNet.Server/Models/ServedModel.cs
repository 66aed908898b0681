using SplitNet.Codec;
using SplitNet.Models.Bundles;
using SplitNet.Models.Teacher;

namespace SplitNet.Server.Models;

/// <summary>A teacher loaded for serving: it can continue from any stage boundary before its head.</summary>
internal sealed class ServedModel(TeacherNet network, TeacherManifest manifest) : IDisposable
{
    public TeacherNet Network { get; } = network;
    public TeacherManifest Manifest { get; } = manifest;
    public string Id => Manifest.ModelId;

    /// <summary>The feature shape expected after <paramref name="split"/>, or null if the model cannot be cut there.</summary>
    public TensorShape? FeatureShape(byte split) =>
        split < (byte)TeacherStage.Head ? new TensorShape(Manifest.Architecture.FeatureShape((TeacherStage)split)) : null;

    public void Dispose() => Network.Dispose();
}
