using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Hookline.Api;
using Hookline.Storage;
using Microsoft.Extensions.Options;

namespace Hookline.Auth;

public sealed class RateLimitOptions
{
    public const string Section = "Hookline:RateLimits";
    [Range(1, 1_000_000)] public int PerSecond { get; set; } = 50;
    [Range(1, 60_000_000)] public int PerMinute { get; set; } = 1000;
}

/// <summary>
/// Counts a workspace's requests in fixed windows: <see cref="InMemoryRateLimitCounter"/> on a single node,
/// <see cref="SharedRateLimitCounter"/> (in memory, reconciled through the shared database) on several.
/// </summary>
public interface IRateLimitCounter
{
    /// <summary>Counts one request in both windows and returns the counts including it.</summary>
    Task<(int Second, int Minute)> IncrementAsync(Guid workspaceId, long second, long minute, CancellationToken ct);
}

/// <summary>One process's counts, for the embedded single-node setup.</summary>
public sealed class InMemoryRateLimitCounter : IRateLimitCounter
{
    private readonly ConcurrentDictionary<Guid, Windows> _byWorkspace = new();

    public Task<(int Second, int Minute)> IncrementAsync(Guid workspaceId, long second, long minute, CancellationToken ct)
    {
        var w = _byWorkspace.GetOrAdd(workspaceId, _ => new Windows());
        lock (w)
        {
            // Windows only move forward: a request whose clock was read just before another's, and that takes the lock after
            // it, counts in the newer window instead of starting the older one afresh (which let a flood past the limit).
            if (second > w.Second) (w.Second, w.SecondCount) = (second, 0);
            if (minute > w.Minute) (w.Minute, w.MinuteCount) = (minute, 0);
            return Task.FromResult((++w.SecondCount, ++w.MinuteCount));
        }
    }

    private sealed class Windows
    {
        public long Second = -1, Minute = -1;
        public int SecondCount, MinuteCount;
    }
}

/// <summary>
/// Per-workspace fixed windows of one second and one minute, answered with awork's (Kong-style) headers. Every request
/// counts, refused ones too, as Kong counts them. System tokens (operators) are not limited.
/// </summary>
public sealed class WorkspaceRateLimiter(IOptionsMonitor<RateLimitOptions> options, IRateLimitCounter counter, TimeProvider time)
{
    public sealed record Decision(bool Allowed, int SecondRemaining, int MinuteRemaining, int ResetSeconds, bool MinuteIsTighter);

    public async Task<Decision> AcquireAsync(Guid workspaceId, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (second, minute) = (nowMs / 1000, nowMs / 60_000);
        var (inSecond, inMinute) = await counter.IncrementAsync(workspaceId, second, minute, ct);
        var allowed = inSecond <= o.PerSecond && inMinute <= o.PerMinute;
        var secondLeft = Math.Max(0, o.PerSecond - inSecond);
        var minuteLeft = Math.Max(0, o.PerMinute - inMinute);
        var minuteTighter = inMinute > o.PerMinute || (inSecond <= o.PerSecond && minuteLeft < secondLeft);
        var resetMs = minuteTighter ? (minute + 1) * 60_000 - nowMs : (second + 1) * 1000 - nowMs;
        return new Decision(allowed, secondLeft, minuteLeft, (int)Math.Max(1, (resetMs + 999) / 1000), minuteTighter);
    }

    public void WriteHeaders(HttpResponse response, Decision d)
    {
        var o = options.CurrentValue;
        var h = response.Headers;
        h["RateLimit-Limit"] = (d.MinuteIsTighter ? o.PerMinute : o.PerSecond).ToString();
        h["RateLimit-Remaining"] = (d.MinuteIsTighter ? d.MinuteRemaining : d.SecondRemaining).ToString();
        h["RateLimit-Reset"] = d.ResetSeconds.ToString();
        h["X-RateLimit-Limit-Second"] = o.PerSecond.ToString();
        h["X-RateLimit-Remaining-Second"] = d.SecondRemaining.ToString();
        h["X-RateLimit-Limit-Minute"] = o.PerMinute.ToString();
        h["X-RateLimit-Remaining-Minute"] = d.MinuteRemaining.ToString();
    }
}

public static class RateLimitSetup
{
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WorkspaceRateLimiter>();
        // With windows shared by several nodes (PostgreSQL) the counts reconcile through them; otherwise they stay in this process.
        services.AddSingleton<IRateLimitCounter>(sp => sp.GetService<IRateWindowStore>() is { } store
            ? ActivatorUtilities.CreateInstance<SharedRateLimitCounter>(sp, store)
            : new InMemoryRateLimitCounter());
        services.AddHostedService<RateWindowSync>();
        return services;
    }

    /// <summary>Runs after authentication: limits every request made with a workspace token.</summary>
    public static IApplicationBuilder UseWorkspaceRateLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        // A request made in process (an MCP tool's) was counted as its caller's request to /mcp.
        if (http.User.WorkspaceIdOrNull() is not { } workspace || http.Features.Get<InProcessApi.Request>() is not null) { await next(http); return; }
        var limiter = http.RequestServices.GetRequiredService<WorkspaceRateLimiter>();
        var decision = await limiter.AcquireAsync(workspace, http.RequestAborted);
        limiter.WriteHeaders(http.Response, decision);
        if (decision.Allowed) { await next(http); return; }
        http.Response.Headers.RetryAfter = decision.ResetSeconds.ToString();
        await ApiError.WriteAsync(http, 429, "too-many-requests",
            $"The workspace's rate limit is used up; try again in {decision.ResetSeconds} s.");
    });
}
