using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Hookline.Api;
using Microsoft.Extensions.Options;

namespace Hookline.Auth;

public sealed class RateLimitOptions
{
    public const string Section = "Hookline:RateLimits";
    [Range(1, 1_000_000)] public int PerSecond { get; set; } = 50;
    [Range(1, 60_000_000)] public int PerMinute { get; set; } = 1000;
}

/// <summary>
/// Per-workspace fixed windows of one second and one minute, answered with awork's (Kong-style) headers.
/// Hand-written because the headers need each window's remaining count and reset time, which
/// System.Threading.RateLimiting does not expose. System tokens (operators) are not limited.
/// </summary>
public sealed class WorkspaceRateLimiter(IOptionsMonitor<RateLimitOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, Windows> _byWorkspace = new();

    public sealed record Decision(bool Allowed, int SecondRemaining, int MinuteRemaining, int ResetSeconds, bool MinuteIsTighter);

    public Decision Acquire(Guid workspaceId)
    {
        var o = options.CurrentValue;
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windows = _byWorkspace.GetOrAdd(workspaceId, _ => new Windows());
        lock (windows)
        {
            var second = nowMs / 1000;
            var minute = nowMs / 60_000;
            if (windows.Second != second) (windows.Second, windows.SecondCount) = (second, 0);
            if (windows.Minute != minute) (windows.Minute, windows.MinuteCount) = (minute, 0);
            var allowed = windows.SecondCount < o.PerSecond && windows.MinuteCount < o.PerMinute;
            if (allowed) { windows.SecondCount++; windows.MinuteCount++; }
            var secondLeft = o.PerSecond - windows.SecondCount;
            var minuteLeft = o.PerMinute - windows.MinuteCount;
            var minuteTighter = minuteLeft <= 0 || (secondLeft > 0 && minuteLeft < secondLeft);
            var resetMs = minuteTighter ? (minute + 1) * 60_000 - nowMs : (second + 1) * 1000 - nowMs;
            return new Decision(allowed, secondLeft, minuteLeft, (int)Math.Max(1, (resetMs + 999) / 1000), minuteTighter);
        }
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

    private sealed class Windows
    {
        public long Second = -1, Minute = -1;
        public int SecondCount, MinuteCount;
    }
}

public static class RateLimitSetup
{
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WorkspaceRateLimiter>();
        return services;
    }

    /// <summary>Runs after authentication: limits every request made with a workspace token.</summary>
    public static IApplicationBuilder UseWorkspaceRateLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.User.WorkspaceIdOrNull() is not { } workspace) { await next(http); return; }
        var limiter = http.RequestServices.GetRequiredService<WorkspaceRateLimiter>();
        var decision = limiter.Acquire(workspace);
        limiter.WriteHeaders(http.Response, decision);
        if (decision.Allowed) { await next(http); return; }
        http.Response.Headers.RetryAfter = decision.ResetSeconds.ToString();
        await ApiError.WriteAsync(http, 429, "too-many-requests",
            $"The workspace's rate limit is used up; try again in {decision.ResetSeconds} s.");
    });
}
