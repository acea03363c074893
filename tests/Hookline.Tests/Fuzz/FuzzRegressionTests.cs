using System.Net;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Fuzz;

/// <summary>Plain tests for what the fuzz suite found, so that each stays fixed whatever the generators draw.</summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly HooklineFactory _app = new(new() { ["Hookline:Node:Worker"] = "false" });
    private readonly Guid _workspace = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    // Found by "webhook forms", "events", "event batches" and both stored-value properties: JSON may escape half a surrogate
    // pair, which System.Text.Json parses but cannot turn into a string, so reading the field threw: a 500.
    public static TheoryData<string, string> LoneSurrogates => new()
    {
        { "/api/v1/webhooks", """{"name":"x\udc00\ud800y","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none"}""" },
        { "/api/v1/webhooks", """{"name":"n","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none","\ud800":1}""" },
        { "/api/v1/webhooks", """{"name":"n","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"header","authentication":"X-Key=\ud83d"}""" },
        { "/api/v1/events", """{"eventType":"task_added","entityType":"a\udfffb"}""" },
        { "/api/v1/events", """{"eventType":"task_added","entity":{"name":"\ud800"}}""" },
        { "/api/v1/events/batch", """[{"eventType":"task_added"},{"eventType":"task_added","changes":[{"\udc00":"x"}]}]""" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task ALoneSurrogateEscapeIsRefusedAsInvalidModelAndNothingIsStored(string path, string body)
    {
        var client = await _app.ClientAsync(_workspace, Hookline.Auth.Permissions.Admin, Hookline.Auth.Permissions.EventsPublish);
        var response = await client.PostAsync(path, Json.Body(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid-model", (await response.ErrorAsync()).Code);
        Assert.Empty(await client.ListAsync<WebhookConfig>("/api/v1/webhooks"));
        Assert.Equal(0L, await _app.ScalarAsync<long>("SELECT COUNT(*) FROM events"));
    }

    [Fact]
    public async Task ALoneSurrogateEscapeInAnUpdateLeavesTheWebhookAsItWas()
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync();
        var response = await client.PutAsync($"/api/v1/webhooks/{created.Id}", Json.Body(
            """{"name":"\ud800","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid-model", (await response.ErrorAsync()).Code);
        Assert.Equal(created, Assert.Single(await client.ListAsync<WebhookConfig>("/api/v1/webhooks")));
    }

    [Fact]
    public async Task AWholeSurrogatePairStillWorks()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(
            """{"name":"\ud83d\ude00 alerts","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("😀 alerts", Assert.Single(await client.ListAsync<WebhookConfig>("/api/v1/webhooks")).Name);
    }

    // Found by "list and log queries" on PostgreSQL: a NUL inside a filterby string reached the SQL as a parameter, which
    // PostgreSQL refuses (22021 invalid byte sequence): a 500. SQLite merely matched nothing.
    [Theory]
    [InlineData("/api/v1/webhooks?filterby=name%20eq%20'a%00b'")]
    [InlineData("/api/v1/webhooks?filterby=substringof('%00',receiverType)")]
    [InlineData("/api/v1/webhooks/{id}/logs?filterby=startswith(message,'%00')")]
    public async Task ANulInAFilterStringIsAnInvalidFilterOnEveryStore(string url)
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync();
        var response = await client.GetAsync(url.Replace("{id}", created.Id.ToString()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("invalid-filter-or-order", error.Code);
        Assert.Contains("U+0000", Assert.Single(error.Details!));
    }
}
