namespace Hookline.Api;

public static class Clock
{
    /// <summary>Now, cut to the millisecond that every store keeps, so an answer shows exactly what a later read returns.</summary>
    public static DateTimeOffset GetUtcNowMs(this TimeProvider time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
}
