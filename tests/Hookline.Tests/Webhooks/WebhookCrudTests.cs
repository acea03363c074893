using System.Net;
using System.Net.Http.Json;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Webhooks;

public sealed class WebhookCrudTests : IDisposable
{
    private readonly HooklineFactory _app = new();
    private readonly Guid _workspace = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task CreateReturnsTheStoredConfigWithEveryContractField()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsJsonAsync("/api/v1/webhooks",
            Json.Form(events: "task_added, task_comment_added", authenticationType: "header", authentication: "X-Api-Key=s3cret", onlyMain: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        foreach (var field in new[] { "name", "uri", "language", "events", "isActive", "onlyTriggerForMainEntityChanges",
                     "authenticationType", "authentication", "id", "receiverType", "lastFailureReason", "createdOn", "createdBy",
                     "updatedOn", "updatedBy" })
            Assert.Contains($"\"{field}\":", body);
        Assert.Contains("\"language\":null", body); // nullable fields are present as null, as in awork's example
        Assert.Matches("\"createdOn\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\"", body);

        var created = (await response.Content.ReadFromJsonAsync<WebhookConfig>(Json.Web))!;
        Assert.Equal("task_added,task_comment_added", created.Events);
        Assert.Equal("custom", created.ReceiverType);
        Assert.Equal("header", created.AuthenticationType);
        Assert.Equal("X-Api-Key=s3cret", created.Authentication);
        Assert.True(created.OnlyTriggerForMainEntityChanges);
        Assert.Equal(created.CreatedBy, created.UpdatedBy);

        var fetched = await client.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{created.Id}", Json.Web);
        Assert.Equal(created, fetched);
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T0/B0/xyz", "slack")]
    [InlineData("https://HOOKS.SLACK.COM/services/T0/B0/xyz", "slack")]
    [InlineData("https://hooks.slack.com.evil.example/services", "custom")]
    [InlineData("https://example.com/slack", "custom")]
    [InlineData("https://acme.webhook.office.com/webhookb2/1@2/IncomingWebhook/3/4", "teams")]
    [InlineData("https://outlook.office.com/webhook/1@2/IncomingWebhook/3/4", "teams")]
    [InlineData("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x", "teams")]
    [InlineData("https://default1a2b.3c.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke", "teams")]
    [InlineData("https://webhook.office.com.evil.example/webhookb2/x", "custom")]
    [InlineData("https://webhook.office.com/webhookb2/x", "custom")]
    [InlineData("https://discord.com/api/webhooks/123/tok", "discord")]
    [InlineData("https://discordapp.com/api/webhooks/123/tok", "discord")]
    [InlineData("https://DISCORD.com/API/Webhooks/123/tok", "discord")]
    [InlineData("https://discord.com/channels/123", "custom")]
    [InlineData("https://evil.example/api/webhooks/123/tok", "custom")]
    public async Task ReceiverTypeIsInferredFromTheUriHost(string uri, string expected)
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync(Json.Form(uri: uri, events: "task_added"));
        Assert.Equal(expected, created.ReceiverType);
    }

    [Fact]
    public async Task SlackWebhooksDefaultToBritishEnglishAndKeepAGivenLanguage()
    {
        var client = await _app.AdminAsync(_workspace);
        var slack = await client.CreateWebhookAsync(Json.Form(uri: "https://hooks.slack.com/services/a", events: "task_added"));
        var german = await client.CreateWebhookAsync(Json.Form(uri: "https://hooks.slack.com/services/b", events: "task_added", language: "de-de"));
        var custom = await client.CreateWebhookAsync(Json.Form());
        Assert.Equal("en-GB", slack.Language);
        Assert.Equal("de-DE", german.Language);
        Assert.Null(custom.Language);
    }

    [Fact]
    public async Task SlackHostsComeFromConfiguration()
    {
        using var app = new HooklineFactory(new() { ["Hookline:Slack:Hosts:0"] = "chat.internal.example" });
        var client = await app.AdminAsync(_workspace);
        Assert.Equal("slack", (await client.CreateWebhookAsync(Json.Form(uri: "https://chat.internal.example/x"))).ReceiverType);
        Assert.Equal("custom", (await client.CreateWebhookAsync(Json.Form(uri: "https://hooks.slack.com/x"))).ReceiverType);
    }

    [Fact]
    public async Task UpdateReplacesTheFormFieldsAndKeepsIdentityAndCreation()
    {
        var creator = await _app.AdminAsync(_workspace);
        var created = await creator.CreateWebhookAsync();
        var editor = await _app.AdminAsync(_workspace);

        var response = await editor.PutAsJsonAsync($"/api/v1/webhooks/{created.Id}",
            Json.Form(name: "Renamed", uri: "https://hooks.slack.com/services/new", events: "task_comment_added", isActive: false));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = (await response.Content.ReadFromJsonAsync<WebhookConfig>(Json.Web))!;
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal(created.CreatedOn, updated.CreatedOn);
        Assert.Equal(created.CreatedBy, updated.CreatedBy);
        Assert.NotEqual(created.CreatedBy, updated.UpdatedBy);
        Assert.Equal(("Renamed", "slack", "en-GB", false), (updated.Name, updated.ReceiverType, updated.Language, updated.IsActive));
        Assert.Equal(updated, await editor.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{created.Id}", Json.Web));
    }

    [Fact]
    public async Task DeleteAnswers204AndTheWebhookIsGone()
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);

        var again = await client.DeleteAsync($"/api/v1/webhooks/{created.Id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("not-found", (await again.ErrorAsync()).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/webhooks/{created.Id}")).StatusCode);
        Assert.Empty(await client.ListAsync<WebhookConfig>("/api/v1/webhooks"));
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PUT", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/logs")]
    public async Task AnUnknownIdAnswers404NotFound(string method, string suffix)
    {
        var client = await _app.AdminAsync(_workspace);
        var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/webhooks/{Guid.NewGuid()}{suffix}");
        if (method == "PUT") request.Content = JsonContent.Create(Json.Form());
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not-found", (await response.ErrorAsync()).Code);
    }

    [Theory]
    [InlineData("/api/v1/webhooks/eventtypes")]
    [InlineData("/api/v1/webhooks/eventTypes")]
    [InlineData("/API/V1/Webhooks/EventTypes")]
    public async Task CustomEventTypesAreAworksThirtyFiveNamesAndTheFourOperationalOnes(string path)
    {
        var client = await _app.ClientAsync(_workspace, Hookline.Auth.Permissions.EventsPublish);
        var types = await client.ListAsync<string>(path);
        Assert.Equal(35 + 4, types.Count);
        Assert.Equal(["webhook_failing", "webhook_paused", "webhook_recovered", "delivery_exhausted"], types[^4..]);
        Assert.Contains("task_comment_added", types);
        Assert.Contains("user_activation_changed", types);
        Assert.Equal(types.Distinct().Count(), types.Count);
    }

    [Fact]
    public async Task SlackEventTypesAreASubsetWithCommentStatusAddedAndAssignmentEvents()
    {
        var client = await _app.ClientAsync(_workspace, Hookline.Auth.Permissions.ConfigRead);
        var slack = await client.ListAsync<string>("/api/v1/webhooks/eventTypes/slack");
        var custom = await client.ListAsync<string>("/api/v1/webhooks/eventtypes");
        Assert.Subset(custom.ToHashSet(), slack.ToHashSet());
        Assert.Contains("task_comment_added", slack);
        Assert.Contains("task_status_changed", slack);
        Assert.Contains("task_added", slack);
        Assert.Contains("taskassignment_added", slack);
    }

    [Fact]
    public async Task SlackWebhooksOnlyAcceptSlackEvents()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsJsonAsync("/api/v1/webhooks",
            Json.Form(uri: "https://hooks.slack.com/services/x", events: "task_added,task_updated"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("events", Assert.Single(error.ValidationErrors!).Property);
        Assert.Contains("task_updated", error.ValidationErrors![0].Message);
    }

    [Theory]
    [InlineData("teams", "https://acme.webhook.office.com/webhookb2/x")]
    [InlineData("discord", "https://discord.com/api/webhooks/1/x")]
    public async Task TeamsAndDiscordHaveTheChatCatalogueAndItsLanguageDefault(string receiver, string uri)
    {
        var client = await _app.AdminAsync(_workspace);
        var catalogue = await client.ListAsync<string>($"/api/v1/webhooks/eventtypes/{receiver}");
        Assert.Equal(await client.ListAsync<string>("/api/v1/webhooks/eventtypes/slack"), catalogue);
        var created = await client.CreateWebhookAsync(Json.Form(uri: uri, events: "task_added,webhook_failing"));
        Assert.Equal((receiver, "en-GB"), (created.ReceiverType, created.Language));

        var response = await client.PostAsJsonAsync("/api/v1/webhooks", Json.Form(uri: uri, events: "task_added,task_updated"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.Single((await response.ErrorAsync()).ValidationErrors!);
        Assert.Equal("events", error.Property);
        Assert.Contains("task_updated", error.Message);
        Assert.Contains($"/api/v1/webhooks/eventtypes/{receiver}", error.Message);
    }

    [Fact]
    public async Task ChatHostListsAreConfigurable()
    {
        using var app = new HooklineFactory(new() { ["Hookline:Teams:Hosts:0"] = "*.teams.internal.example", ["Hookline:Discord:Hosts:0"] = "chat.internal.example" });
        var client = await app.AdminAsync(_workspace);
        Assert.Equal("teams", (await client.CreateWebhookAsync(Json.Form(uri: "https://a.teams.internal.example/hook"))).ReceiverType);
        Assert.Equal("custom", (await client.CreateWebhookAsync(Json.Form(uri: "https://acme.webhook.office.com/webhookb2/x"))).ReceiverType);
        Assert.Equal("discord", (await client.CreateWebhookAsync(Json.Form(uri: "https://chat.internal.example/api/webhooks/1/x"))).ReceiverType);
        Assert.Equal("custom", (await client.CreateWebhookAsync(Json.Form(uri: "https://discord.com/api/webhooks/1/x"))).ReceiverType);
    }
}
