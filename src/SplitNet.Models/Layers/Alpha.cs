using TorchSharp;

namespace SplitNet.Models.Layers;

/// <summary>
/// The alpha of an add, held for the life of the process. <c>Tensor.add(other)</c>
/// makes a fresh Scalar for alpha = 1 that nothing keeps alive across the native call, so its
/// finalizer can free it mid-call (libtorch then fails in <c>Scalar::toFloat</c>).
/// </summary>
internal static class Alpha
{
    public static readonly Scalar One = 1.ToScalar();
}
