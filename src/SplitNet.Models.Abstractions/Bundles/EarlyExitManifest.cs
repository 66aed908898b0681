namespace SplitNet.Models.Bundles;

/// <summary>One rate level's early-exit head in an edge bundle, and what it scored.</summary>
/// <param name="Level">The rate level whose latent it reads.</param>
/// <param name="Weights">Safetensors file in the edge bundle.</param>
/// <param name="Sha256">SHA-256 of that file.</param>
/// <param name="Accuracy">Top-1 accuracy on the test set when it was trained.</param>
public sealed record EarlyExitManifest(int Level, string Weights, string Sha256, double Accuracy);
