using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hookline.Api;
using Hookline.Webhooks;

namespace Hookline.Tests.Support;

public static class Json
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static object Form(string name = "Ops hook", string uri = "https://receiver.example/hook", string events = "task_added",
        bool isActive = true, string authenticationType = "none", string? authentication = null, string? language = null,
        bool onlyMain = false) => new
    {
        name, uri, language, events, isActive, onlyTriggerForMainEntityChanges = onlyMain, authenticationType, authentication,
    };

    public static async Task<WebhookConfig> CreateWebhookAsync(this HttpClient client, object? form = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", form ?? Form());
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WebhookConfig>(Web))!;
    }

    public static async Task<ErrorResponse> ErrorAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = await response.Content.ReadFromJsonAsync<ErrorResponse>(Web);
        Assert.NotNull(error);
        Assert.False(string.IsNullOrEmpty(error.Description));
        Assert.False(string.IsNullOrEmpty(error.Link));
        Assert.False(string.IsNullOrEmpty(error.TraceId));
        Assert.Equal(error.TraceId, response.Headers.GetValues("Trace-Id").Single());
        return error;
    }

    public static async Task<List<T>> ListAsync<T>(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<T>>(Web))!;
    }
}
