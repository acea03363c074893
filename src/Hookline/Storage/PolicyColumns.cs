using System.Globalization;

namespace Hookline.Storage;

/// <summary>A webhook row's delivery policy columns, as the stores read and write them.</summary>
public static class PolicyColumns
{
    public const string Names = "max_per_second, max_concurrency, timeout_seconds, retry_schedule, fifo";

    public static DeliveryPolicy Read(int? maxPerSecond, int? maxConcurrency, int? timeoutSeconds, string? retrySchedule, bool fifo) =>
        maxPerSecond is null && maxConcurrency is null && timeoutSeconds is null && retrySchedule is null && !fifo
            ? DeliveryPolicy.Default
            : new(maxPerSecond, maxConcurrency, timeoutSeconds, Schedule(retrySchedule), fifo);

    /// <summary>"5,30,120" → [5, 30, 120]; "" → no retries.</summary>
    private static IReadOnlyList<int>? Schedule(string? text) =>
        text is null ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();

    public static string? Schedule(IReadOnlyList<int>? seconds) =>
        seconds is null ? null : string.Join(',', seconds.Select(s => s.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>The policy columns as Dapper reads them (a webhook row with more columns derives from it).</summary>
public class PolicyRow
{
    public int? MaxPerSecond { get; init; }
    public int? MaxConcurrency { get; init; }
    public int? TimeoutSeconds { get; init; }
    public string? RetrySchedule { get; init; }
    public bool Fifo { get; init; }

    public DeliveryPolicy ToPolicy() => PolicyColumns.Read(MaxPerSecond, MaxConcurrency, TimeoutSeconds, RetrySchedule, Fifo);
}
