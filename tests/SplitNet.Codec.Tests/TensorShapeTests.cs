namespace SplitNet.Codec.Tests;

public sealed class TensorShapeTests
{
    [Fact]
    public void Equals_SameDimensions_IsTrueAndHashesAlike()
    {
        var a = new TensorShape([64, 14, 14]);
        var b = new TensorShape([64, 14, 14]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new TensorShape([64, 14, 13]));
        Assert.Equal(12544, a.ElementCount);
        Assert.Equal("64x14x14", a.ToString());
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 70000 })]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1 })]
    public void Ctor_InvalidDimensions_Throws(int[] dims) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(dims));
}
