using System.ComponentModel.DataAnnotations;

namespace Hookline.Delivery;

public sealed class DeliveryOptions : IValidatableObject
{
    public const string Section = "Hookline:Delivery";

    /// <summary>How long a receiver has to answer; a 2xx within it is success (awork: 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait before each retry, ±10 % jitter; its length is the number of retries (awork: 10).</summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    public static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2),
        TimeSpan.FromHours(4), TimeSpan.FromHours(8),
    ];

    /// <summary>Configured entries replace the default schedule (a bound list would otherwise be appended to it).</summary>
    public IReadOnlyList<TimeSpan> EffectiveRetrySchedule => RetrySchedule.Count > 0 ? RetrySchedule : DefaultRetrySchedule;

    public int MaxAttempts => 1 + EffectiveRetrySchedule.Count;

    /// <summary>The retry schedule for a webhook: its policy's, else the service's.</summary>
    public IReadOnlyList<TimeSpan> RetryScheduleFor(Storage.DeliveryPolicy policy) =>
        policy.RetrySchedule?.Select(s => TimeSpan.FromSeconds(s)).ToList() ?? EffectiveRetrySchedule;

    /// <summary>The attempts a delivery to a webhook gets: its policy's, else the service's.</summary>
    public int MaxAttemptsFor(Storage.DeliveryPolicy policy) => policy.MaxAttempts ?? MaxAttempts;

    [Range(1, 1000)] public int PauseAfterConsecutiveFailures { get; set; } = 10;

    /// <summary>How long a claimed delivery is held before another worker may take it; longer than <see cref="Timeout"/>.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Loopback, private, link-local and metadata addresses are refused unless this is true (true in Development).</summary>
    public bool? AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Deliveries in flight at once in this process. A slot is held from the claim to the result, so the figure bounds
    /// throughput at slots ÷ (round trip to the receiver + the store's claim); 64 held PostgreSQL to 8.5–9.7k deliveries/s
    /// on 2 cores where 256 gave 13.9k (SQLite 13.6k → 15.8k).
    /// </summary>
    [Range(1, 10_000)] public int Concurrency { get; set; } = 256;

    /// <summary>
    /// An attempt still waiting for its receiver after this long gives its slot back to the node and goes on in the slow lane
    /// (up to <see cref="Concurrency"/> attempts), and its webhook counts as troubled (<see cref="FairShare"/>): a receiver that
    /// hangs until the timeout does not hold the slots others need. Each moment a hanging receiver holds every slot delays
    /// everyone's deliveries; in the bench's noisy workload 1 s gave a healthy neighbour a p99 of 283 ms, 250 ms 9 ms.
    /// </summary>
    public TimeSpan SlowAfter { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The most attempts in flight on this node for one troubled webhook (slow or failing); what a claim takes for it beyond
    /// that waits parked in the queue until its attempts finish. A receiver slower than <see cref="SlowAfter"/> gets this many
    /// requests at once from a node; one whose attempts keep failing also no more than this many a second.
    /// </summary>
    [Range(1, 10_000)] public int SlowShare { get; set; } = 64;

    /// <summary>The backstop: how often workers look for due deliveries when nothing wakes them.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a rotated-out signing secret keeps signing alongside the new one (may be zero).</summary>
    public TimeSpan SecretGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Longest <c>Retry-After</c> honoured from a 429 or 503.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan LogRetention { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (Timeout <= TimeSpan.Zero) yield return new("Hookline:Delivery:Timeout must be positive.");
        if (Lease <= Timeout) yield return new("Hookline:Delivery:Lease must be longer than Hookline:Delivery:Timeout.");
        if (RetrySchedule.Any(t => t < TimeSpan.Zero)) yield return new("Hookline:Delivery:RetrySchedule entries must not be negative.");
        if (SlowAfter <= TimeSpan.Zero) yield return new("Hookline:Delivery:SlowAfter must be positive.");
        if (PollInterval <= TimeSpan.Zero) yield return new("Hookline:Delivery:PollInterval must be positive.");
        if (SecretGracePeriod < TimeSpan.Zero) yield return new("Hookline:Delivery:SecretGracePeriod must not be negative.");
        if (LogRetention <= TimeSpan.Zero || PruneInterval <= TimeSpan.Zero) yield return new("Log retention and prune interval must be positive.");
    }
}
