namespace Hookline.Tests.Support;

public static class Atomic
{
    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if that is larger, from any thread.</summary>
    public static void Max(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
