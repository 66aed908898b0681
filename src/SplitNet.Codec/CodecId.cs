namespace SplitNet.Codec;

/// <summary>How the body of a feature payload is coded. The value is the byte on the wire.</summary>
public enum CodecId : byte
{
    /// <summary>Little-endian float32 values, uncompressed: the reference.</summary>
    RawFloat32 = 0,

    /// <summary>Per-tensor 8-bit affine quantisation, then one LZ4 block.</summary>
    Affine8Lz4 = 1,

    /// <summary>Little-endian IEEE half-precision values, uncompressed: the naive split of an imported model.</summary>
    Float16 = 2,

    /// <summary>An 8-bit image, PNG-compressed (lossless), mapped to floats by the header's affine: the server-only baseline.</summary>
    Png = 3,

    /// <summary>An 8-bit image, WebP-lossless-compressed, mapped to floats by the header's affine: the server-only baseline.</summary>
    WebpLossless = 4,

    /// <summary>A sentence as UTF-8, shape (bytes): the server-only baseline of a text model, tokenized by the server.</summary>
    Utf8Text = 5,
}
