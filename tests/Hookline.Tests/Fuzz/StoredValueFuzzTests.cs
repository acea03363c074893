using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Hookline.Tests.Fuzz;

/// <summary>
/// Nasty values that may well be valid (emoji, RTL, zalgo, odd URIs, odd entity JSON): each is either refused with an
/// awork error or accepted, and what was accepted reads back exactly as the answer to the write said.
/// </summary>
public sealed class StoredValueFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FuzzApp _fuzz = null!;

    public async Task InitializeAsync() => _fuzz = await FuzzApp.StartAsync();

    public Task DisposeAsync()
    {
        _fuzz.Dispose();
        return Task.CompletedTask;
    }

    private async Task CheckAsync(Action check)
    {
        await Task.Run(check);
        output.WriteLine($"{_fuzz.Requests} requests in all ({_fuzz.Statuses})");
    }

    private static Gen<string> Field(string valid) => Gen.Frequency((2, Gen.Constant(JsonSerializer.Serialize(valid))), (1, TextGen.NastyJsonString));

    private static Gen<string> MaybeValidForm { get; } =
        from name in Gen.Frequency((1, Gen.Constant("\"n\"")), (3, TextGen.NastyJsonString))
        from uri in Gen.Frequency((3, Gen.Constant("\"https://r.example/h\"")), (1, TextGen.Nasty.Select(s => JsonSerializer.Serialize("https://r.example/" + s))),
            (1, TextGen.NastyJsonString))
        from language in Gen.Frequency((3, Gen.Constant("null")), (1, Gen.Elements("\"en\"", "\"de-de\"", "\"EN-gb\"", "\"zh-Hant-TW\"", "\"iv\"", "\"\"")),
            (1, TextGen.NastyJsonString))
        from events in Field("task_added")
        from header in Gen.Elements(false, true)
        from value in TextGen.Nasty
        select $"{{\"name\":{name},\"uri\":{uri},\"language\":{language},\"events\":{events},\"isActive\":true," +
            (header ? $"\"authenticationType\":\"header\",\"authentication\":{JsonSerializer.Serialize("X-Key=" + value)}}}" : "\"authenticationType\":\"none\"}");

    [Fact]
    public Task AcceptedWebhookFormsReadBackExactly() => CheckAsync(() => FuzzRun.Check(output, "stored webhook values", MaybeValidForm, ci: 200, full: 2000, async body =>
        {
            var created = await _fuzz.SendAsync(FuzzRequest.Json("POST", "/api/v1/webhooks", body));
            if (created.Problem(mustBeRefused: false) is { } problem) return problem;
            if (created.Status != 200) return null;
            var id = JsonDocument.Parse(created.Body).RootElement.GetProperty("id").GetString();
            var read = await _fuzz.SendAsync(new FuzzRequest("GET", $"/api/v1/webhooks/{id}"));
            var deleted = await _fuzz.SendAsync(new FuzzRequest("DELETE", $"/api/v1/webhooks/{id}"));
            return read.Body != created.Body ? $"stored as {FuzzRequest.Show(read.Body)}, answered {FuzzRequest.Show(created.Body)}"
                : deleted.Status != 204 ? $"could not delete: {deleted.Status}" : null;
        }));

    [Fact]
    public Task AcceptedEventsAreStoredWithoutAServerError() => CheckAsync(() => FuzzRun.Check(output, "stored event values", BodyGen.MaybeValidEvent.Two(), ci: 200, full: 2000, async pair =>
        {
            var one = await _fuzz.SendAsync(FuzzRequest.Json("POST", "/api/v1/events", pair.Item1));
            if (one.Problem(mustBeRefused: false) is { } problem) return problem;
            var batch = await _fuzz.SendAsync(FuzzRequest.Json("POST", "/api/v1/events/batch", $"[{pair.Item1},{pair.Item2}]"));
            return batch.Problem(mustBeRefused: false);
        }));
}
