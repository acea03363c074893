namespace Hookline.Tests.Support;

/// <summary>
/// How big the long reliability suites run: a CI size by default, the full size the issue asks for with
/// <c>./test.sh --full</c> (which sets <c>HOOKLINE_TEST_SIZE=full</c>).
/// </summary>
public static class TestSize
{
    public const string Variable = "HOOKLINE_TEST_SIZE";

    public static bool Full => string.Equals(Environment.GetEnvironmentVariable(Variable), "full", StringComparison.OrdinalIgnoreCase);

    public static int Pick(int ci, int full) => Full ? full : ci;
}
