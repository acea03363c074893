using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Hookline.Tests.Fuzz;

/// <summary>Event ingest under generated bad input: refused with an awork error, no event, delivery or idempotency key stored.</summary>
public sealed class EventApiFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FuzzApp _fuzz = null!;

    public async Task InitializeAsync() => _fuzz = await FuzzApp.StartAsync();

    public Task DisposeAsync()
    {
        _fuzz.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Idempotency-Key values: none, good ones, the seeded one, and ones the header rule refuses.</summary>
    private static Gen<string?> AnyKey { get; } = Gen.Frequency(
        (3, Gen.Constant<string?>(null)),
        (2, Gen.Elements<string?>("k-1", "seed-1", new string('k', 255), "!~")),
        (3, TextGen.Nasty.Select(s => (string?)s)),
        (1, Gen.Elements<string?>(new string('k', 256), "", " ", "a b", "a\r\nb", "é", "\u0000", "k\u007f")));

    private async Task FuzzAsync<T>(string name, Gen<T> gen, int ci, int full, Func<T, FuzzRequest> request)
    {
        var before = await _fuzz.SnapshotAsync();
        // Cases are mapped to requests inside the generator, so that FsCheck prints a failing one readably.
        FuzzRun.Check(output, name, gen.Select(request), ci, full, _fuzz.ProblemAsync);
        FuzzApp.AssertUnchanged(before, await _fuzz.SnapshotAsync());
        output.WriteLine($"{name}: {_fuzz.Requests} requests in all ({_fuzz.Statuses}), stored state unchanged");
    }

    private static FuzzRequest Publish(string path, byte[] body, Caller caller, string? key, string? contentType = "application/json") =>
        new("POST", path, Body: body, Caller: caller, ContentType: contentType,
            Headers: key is null ? null : [new("Idempotency-Key", key)]);

    [Fact]
    public Task SingleEventsWithAnyBadFieldAreRefused() => FuzzAsync("events",
        from caller in Gen.Elements(Caller.Admin, Caller.Publisher, Caller.System)
        from body in BodyGen.InvalidEvent
        // a system token may name any workspace, so for it only bodies without one are sure to be invalid
        where caller != Caller.System || !body.Contains("workspaceid", StringComparison.OrdinalIgnoreCase)
        from corrupt in BodyGen.Corrupt
        from key in AnyKey
        select Publish("/api/v1/events", corrupt(body), caller, key),
        ci: 400, full: 4000, r => r);

    [Fact]
    public Task BatchesWithAnyBadEventAreRefusedWhole() => FuzzAsync("event batches",
        from caller in Gen.Elements(Caller.Admin, Caller.Publisher)
        from body in BodyGen.InvalidBatch
        from key in AnyKey
        select Publish("/api/v1/events/batch", Encoding.UTF8.GetBytes(body), caller, key),
        ci: 200, full: 2000, r => r);

    [Fact]
    public Task BadIdempotencyKeysAndContentTypesAreRefusedEvenWithAGoodEvent() => FuzzAsync("idempotency keys and content types",
        from batch in Gen.Elements(false, true)
        from key in Gen.Frequency(
            // an empty value is left out: TestServer drops it and the request then has no key at all (Kestrel keeps it)
            (4, TextGen.Nasty.Where(k => k.Length > 255 || k.Any(c => c < 0x21 || c > 0x7e))),
            (1, Gen.Constant("seed-1"))) // the seeded key with another body: 409, nothing stored
        from contentType in Gen.Frequency((3, Gen.Constant<string?>("application/json")),
            (1, Gen.Elements<string?>(null, "text/plain", "application/xml", "", "application/x-www-form-urlencoded")))
        select Publish(batch ? "/api/v1/events/batch" : "/api/v1/events",
            Encoding.UTF8.GetBytes(batch ? $"[{Endpoints.ValidEvent}]" : """{"eventType":"task_deleted"}"""),
            Caller.Admin, contentType == "application/json" ? key : "seed-1", contentType),
        ci: 150, full: 1500, r => r);
}
