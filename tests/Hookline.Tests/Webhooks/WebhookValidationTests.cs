using System.Net;
using System.Net.Http.Json;
using System.Text;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Webhooks;

public sealed class WebhookValidationTests : IDisposable
{
    private const string Valid = """
        "name":"n","uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none"
        """;

    private readonly HooklineFactory _app = new();
    private readonly Guid _workspace = Guid.NewGuid();

    public void Dispose() => _app.Dispose();

    public static TheoryData<string, string> BadForms => new()
    {
        // body, the property the error must name
        { """{"uri":"https://r.example/h","events":"task_added","isActive":true,"authenticationType":"none"}""", "name" },
        { $$"""{ {{Valid}}, "name":"   " }""".Replace("\"name\":\"n\",", ""), "name" },
        { $$"""{ {{Valid.Replace("\"n\"", "42")}} }""", "name" },
        { $$"""{ {{Valid.Replace("\"n\"", "\"" + new string('x', 201) + "\"")}} }""", "name" },
        { $$"""{ {{Valid.Replace("\"n\"", "\"line\\r\\nbreak\"")}} }""", "name" },
        { $$"""{ {{Valid.Replace("https://r.example/h", "not a uri")}} }""", "uri" },
        { $$"""{ {{Valid.Replace("https://r.example/h", "ftp://r.example/h")}} }""", "uri" },
        { $$"""{ {{Valid.Replace("https://r.example/h", "/relative/path")}} }""", "uri" },
        { $$"""{ {{Valid.Replace("https://r.example/h", "https://user:pw@r.example/h")}} }""", "uri" },
        { $$"""{ {{Valid.Replace("https://r.example/h", "javascript:alert(1)")}} }""", "uri" },
        { """{"name":"n","events":"task_added","isActive":true,"authenticationType":"none"}""", "uri" },
        { $$"""{ {{Valid.Replace("task_added", "")}} }""", "events" },
        { $$"""{ {{Valid.Replace("task_added", "task_added,nope")}} }""", "events" },
        { $$"""{ {{Valid.Replace("task_added", "task_added,,task_deleted")}} }""", "events" },
        { $$"""{ {{Valid.Replace("\"task_added\"", "[\"task_added\"]")}} }""", "events" },
        { $$"""{ {{Valid.Replace("true", "\"yes\"")}} }""", "isActive" },
        { $$"""{ {{Valid.Replace("true", "1")}} }""", "isActive" },
        { """{"name":"n","uri":"https://r.example/h","events":"task_added","authenticationType":"none"}""", "isActive" },
        { $$"""{ {{Valid}}, "onlyTriggerForMainEntityChanges":"true" }""", "onlyTriggerForMainEntityChanges" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"basic\"")}} }""", "authenticationType" },
        { $$"""{ {{Valid.Replace(",\"authenticationType\":\"none\"", "")}} }""", "authenticationType" },
        { $$"""{ {{Valid}}, "authentication":"X-Key=v" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}} }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"no-equals-sign" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"=value" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"Bad Name=v" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=a\r\nInjected: 1" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"Transfer-Encoding=chunked" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key\r\n=v" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=a\nb" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=a\u0000b" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Kéy=v" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X:Key=v" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=vé" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"X-Key=\u202ev" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"Connection=close" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"webhook-signature=v1,x" }""", "authentication" },
        { $$"""{ {{Valid.Replace("\"none\"", "\"header\"")}}, "authentication":"Host=evil.example" }""", "authentication" },
        { $$"""{ {{Valid}}, "language":"xx-NOTREAL" }""", "language" },
        { $$"""{ {{Valid}}, "language":7 }""", "language" },
        { $$"""{ {{Valid}}, "receiverType":"slack" }""", "receiverType" },
        { $$"""{ {{Valid}}, "id":"3fa85f64-5717-4562-b3fc-2c963f66afa6" }""", "id" },
        { $$"""{ {{Valid}}, "name":"twice" }""", "name" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task EachBadFieldIsNamedInAValidationFailedAnswerAndNothingIsStored(string body, string property)
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("validation-failed", error.Code);
        Assert.Contains(error.ValidationErrors!, e => e.Property == property && !string.IsNullOrEmpty(e.Message));
        Assert.Empty(await client.ListAsync<WebhookConfig>("/api/v1/webhooks"));
    }

    [Fact]
    public async Task EveryBadPropertyIsListedInOneAnswer()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(
            """{"name":"","uri":"ftp://x","events":"nope","isActive":"yes","authenticationType":"basic","extra":1}"""));
        var error = await response.ErrorAsync();
        Assert.Equal(
            new[] { "authenticationType", "events", "extra", "isActive", "name", "uri" },
            error.ValidationErrors!.Select(e => e.Property).Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"name\": }")]
    [InlineData("not json")]
    [InlineData("{\"name\":\"a\"} trailing")]
    public async Task MalformedJsonAnswersInvalidModel(string body)
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid-model", (await response.ErrorAsync()).Code);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("null")]
    public async Task ANonObjectBodyIsAValidationFailure(string body)
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation-failed", (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task InvalidUtf8AndDeepNestingAreRejectedWithoutAServerError()
    {
        var client = await _app.AdminAsync(_workspace);
        var invalidUtf8 = new ByteArrayContent([.. "{\"name\":\""u8, 0xff, 0xfe, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new("application/json");
        var deep = Json.Body(new string('[', 10_000) + new string(']', 10_000));

        foreach (var content in new HttpContent[] { invalidUtf8, deep })
        {
            var response = await client.PostAsync("/api/v1/webhooks", content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid-model", (await response.ErrorAsync()).Code);
        }
    }

    [Fact]
    public async Task ANonJsonContentTypeAnswers415()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported-media-type", (await response.ErrorAsync()).Code);
    }

    [Fact]
    public async Task ARejectedUpdateLeavesTheStoredWebhookExactlyAsItWas()
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync(Json.Form(authenticationType: "header", authentication: "X-Key=v"));

        foreach (var body in new[] { "{", """{"name":"x"}""", $$"""{ {{Valid}}, "authentication":"X=1" }""" })
        {
            var response = await client.PutAsync($"/api/v1/webhooks/{created.Id}", Json.Body(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(created, await client.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{created.Id}", Json.Web));
    }

    [Theory]
    [InlineData("X-Key=a\r\nInjected: 1")]
    [InlineData("X-Key\r\n=v")]
    [InlineData("X-Key=a\u0000b")]
    [InlineData("Bad Name=v")]
    [InlineData("X-Kéy=v")]
    [InlineData("X(Key)=v")]
    [InlineData("X-Key=vé")]
    public async Task AnUpdateWithCrlfOrNonTokenCharactersInTheAuthenticationHeaderIsRefusedAndChangesNothing(string authentication)
    {
        var client = await _app.AdminAsync(_workspace);
        var created = await client.CreateWebhookAsync(Json.Form(authenticationType: "header", authentication: "X-Key=v"));

        var response = await client.PutAsJsonAsync($"/api/v1/webhooks/{created.Id}",
            Json.Form(authenticationType: "header", authentication: authentication));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("validation-failed", error.Code);
        Assert.Contains(error.ValidationErrors!, e => e.Property == "authentication");
        Assert.Equal(created, await client.GetFromJsonAsync<WebhookConfig>($"/api/v1/webhooks/{created.Id}", Json.Web));
    }

    [Fact]
    public async Task PropertyNamesAreMatchedCaseInsensitivelyAndValuesAreNormalised()
    {
        var client = await _app.AdminAsync(_workspace);
        var response = await client.PostAsync("/api/v1/webhooks", Json.Body(
            """{"Name":" Ops ","URI":"https://r.example/h","Events":"TASK_ADDED, task_added ,task_deleted","IsActive":true,"AuthenticationType":"Header","Authentication":" X-Key = v "}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<WebhookConfig>(Json.Web))!;
        Assert.Equal(("Ops", "task_added,task_deleted", "header", "X-Key=v"),
            (created.Name, created.Events, created.AuthenticationType, created.Authentication));
    }
}
