using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// Every route, with an otherwise valid request, under a garbage, mangled, huge or injected Authorization header, or a
/// token lacking the permission: always refused with an awork error, nothing stored.
/// </summary>
public sealed class AuthorizationFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FuzzApp _fuzz = null!;

    public async Task InitializeAsync() => _fuzz = await FuzzApp.StartAsync();

    public Task DisposeAsync()
    {
        _fuzz.Dispose();
        return Task.CompletedTask;
    }

    private static Gen<string> Garbage(string realToken) => Gen.Frequency(
        (3, TextGen.Nasty.Select(s => "Bearer " + s)),
        (2, TextGen.Nasty),
        (2, Gen.Elements("Bearer", "Bearer ", "bearer", "Basic dXNlcjpwYXNz", "Bearer hl_", "Bearer hl_" + new string('A', 43), "Bearer hl_\u0000",
            "Token " + realToken, realToken, "Bearer  Bearer " + realToken, "Bearer " + realToken.ToUpperInvariant(), "Bearer " + realToken[..^1],
            "Bearer " + realToken + realToken, "Bearer " + new string('x', 1 << 20), "Bearer hl_" + new string('\u00e9', 100_000),
            "Bearer " + realToken + "\r\nX-Injected: 1", "Bearer " + realToken + "\u0000", "Bearer " + realToken + "é",
            "Bearer " + realToken.Replace('_', '-'), "Bearer\t" + realToken[..^1], "Bearer\u00a0" + realToken)),
        // the real token with one character replaced by something nasty
        (2, Gen.Zip(Gen.Choose(0, realToken.Length - 1), Gen.Elements('\0', '\r', '\n', 'é', '\ud800', '%', ' ', '"', '*'))
            .Select(t => "Bearer " + realToken[..t.Item1] + t.Item2 + realToken[(t.Item1 + 1)..])));

    [Fact]
    public async Task EveryRouteRefusesABadAuthorizationHeaderOrAMissingPermission()
    {
        var before = await _fuzz.SnapshotAsync();
        var admin = _fuzz.AdminToken;
        var gen =
            from route in Gen.Elements(Endpoints.All)
            from caller in Gen.Frequency((8, Gen.Constant(Caller.Raw)), (1, Gen.Constant(Caller.None)),
                (1, Gen.Elements(Caller.ReadOnly, Caller.Publisher, Caller.System)))
            from authorization in Garbage(admin)
            from extra in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Constant(1)))
            select new FuzzRequest(route.Method, route.Path(_fuzz.ActiveWebhook, _fuzz.Logs[0]), route.Query,
                route.Body is null ? null : Encoding.UTF8.GetBytes(route.Body), Caller: caller, RawAuthorization: authorization,
                // a second Authorization header, or one with the real token after the garbage
                // (not after an empty one: TestServer then passes the real token alone, which is no bad input)
                Headers: extra == 1 && caller == Caller.Raw && authorization.Trim().Length > 0 ? [new("Authorization", "Bearer " + admin)] : null)
            {
                // the read-only token may read, the publisher and system tokens may publish: those are not bad input
                MustBeRefused = caller switch
                {
                    Caller.ReadOnly => route.Method != "GET" || route.Template.EndsWith("/secret", StringComparison.Ordinal),
                    Caller.Publisher => !route.Template.StartsWith("/api/v1/events", StringComparison.Ordinal) && !route.Template.Contains("eventtypes"),
                    Caller.System => !route.Template.StartsWith("/api/v1/events", StringComparison.Ordinal),
                    _ => true,
                },
            };
        FuzzRun.Check(output, "authorization", gen.Where(r => r.MustBeRefused), ci: 400, full: 4000, _fuzz.ProblemAsync);
        FuzzApp.AssertUnchanged(before, await _fuzz.SnapshotAsync());
        output.WriteLine($"authorization: {_fuzz.Requests} requests in all ({_fuzz.Statuses}), stored state unchanged");
    }
}
