namespace Hookline.Delivery;

/// <summary>When a failed attempt is tried again: the schedule with ±10 % jitter, or the receiver's Retry-After within bounds.</summary>
public static class RetryPolicy
{
    public static DateTimeOffset? Next(int attempt, int maxAttempts, SendOutcome outcome, DateTimeOffset now,
        IReadOnlyList<TimeSpan> schedule, TimeSpan maxRetryAfter, Random random)
    {
        if (outcome.Success || outcome.PauseReason is not null || attempt >= maxAttempts) return null;
        if (outcome.RetryAfter is { } asked)
            return now + TimeSpan.FromTicks(Math.Clamp(asked.Ticks, TimeSpan.TicksPerSecond, maxRetryAfter.Ticks));
        var step = schedule.Count == 0 ? TimeSpan.Zero : schedule[Math.Min(attempt - 1, schedule.Count - 1)];
        var jitter = 0.9 + random.NextDouble() * 0.2;
        return now + TimeSpan.FromTicks((long)(step.Ticks * jitter));
    }
}
