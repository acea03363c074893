using System.Net;
using Hookline.Auth;
using Hookline.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Auth;

public sealed class RateLimitTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, 100, TimeSpan.Zero));
    private readonly HooklineFactory _app;

    public RateLimitTests() => _app = new HooklineFactory(
        new() { ["Hookline:RateLimits:PerSecond"] = "3", ["Hookline:RateLimits:PerMinute"] = "5" }, _time);

    public void Dispose() => _app.Dispose();

    private static string Header(HttpResponseMessage r, string name) => r.Headers.GetValues(name).Single();

    [Fact]
    public void SeveralNodesShareTheirCountsThroughTheDatabaseAndOneNodeKeepsThemInMemory() => Assert.IsType(
        _app.Postgres is null ? typeof(InMemoryRateLimitCounter) : typeof(SharedRateLimitCounter), _app.Service<IRateLimitCounter>());

    [Fact]
    public async Task OverThePerSecondLimitAnswers429WithAworksHeaders()
    {
        var client = await _app.AdminAsync(Guid.NewGuid());
        for (var i = 0; i < 3; i++)
        {
            var ok = await client.GetAsync("/api/v1/webhooks");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal($"{2 - i}", Header(ok, "X-RateLimit-Remaining-Second"));
            Assert.Equal($"{4 - i}", Header(ok, "X-RateLimit-Remaining-Minute"));
        }

        var limited = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("too-many-requests", (await limited.ErrorAsync()).Code);
        Assert.Equal("3", Header(limited, "X-RateLimit-Limit-Second"));
        Assert.Equal("0", Header(limited, "X-RateLimit-Remaining-Second"));
        Assert.Equal("5", Header(limited, "X-RateLimit-Limit-Minute"));
        Assert.Equal("1", Header(limited, "X-RateLimit-Remaining-Minute")); // refused requests count too, as Kong counts them
        Assert.Equal("3", Header(limited, "RateLimit-Limit"));
        Assert.Equal("0", Header(limited, "RateLimit-Remaining"));
        Assert.Equal("1", Header(limited, "RateLimit-Reset"));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task ThePerMinuteLimitHoldsAcrossSecondsAndResetsWithTheMinute()
    {
        var client = await _app.AdminAsync(Guid.NewGuid());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
            _time.Advance(TimeSpan.FromSeconds(2));
        }
        var limited = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("5", Header(limited, "RateLimit-Limit"));
        Assert.Equal("50", Header(limited, "RateLimit-Reset")); // 12:00:10.1 → the minute ends in 49.9 s
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task OneWorkspacesFloodDoesNotLimitAnother()
    {
        var noisy = await _app.AdminAsync(Guid.NewGuid());
        var quiet = await _app.AdminAsync(Guid.NewGuid());
        for (var i = 0; i < 10; i++) await noisy.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await noisy.GetAsync("/api/v1/webhooks")).StatusCode);

        var response = await quiet.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", Header(response, "X-RateLimit-Remaining-Second"));
    }

    [Fact]
    public async Task TokensOfOneWorkspaceShareItsLimit()
    {
        var workspace = Guid.NewGuid();
        var first = await _app.AdminAsync(workspace);
        var second = await _app.ClientAsync(workspace, Hookline.Auth.Permissions.ConfigRead);
        for (var i = 0; i < 3; i++) await first.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await second.GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Fact]
    public async Task ARequestWhoseClockWasReadBeforeTheWindowMovedCountsInTheNewWindow()
    {
        var counter = new InMemoryRateLimitCounter();
        var workspace = Guid.NewGuid();
        Assert.Equal((1, 1), await counter.IncrementAsync(workspace, 101, 1, CancellationToken.None));
        // read second 100 before the request above read 101, but took the lock after it
        Assert.Equal((2, 2), await counter.IncrementAsync(workspace, 100, 1, CancellationToken.None));
        Assert.Equal((3, 3), await counter.IncrementAsync(workspace, 101, 1, CancellationToken.None));
    }
}
