using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Hookline.Api;

/// <summary>
/// Runs an API request inside the process through the same pipeline as one from outside — routing, error answers,
/// authentication, authorization, the endpoint — as the caller's token. The MCP tools are API requests made this way, so
/// they answer exactly as the API does: same rules, same permissions, same messages.
/// </summary>
public sealed class InProcessApi(IServiceScopeFactory scopes)
{
    private RequestDelegate? _pipeline;

    /// <summary>The API's answer: status, the headers that matter to a caller, and the body as text (JSON).</summary>
    public sealed record Answer(int Status, IHeaderDictionary Headers, string Body);

    /// <summary>Set on a request made in process: its caller's own request was counted by the rate limit already.</summary>
    public sealed class Request;

    /// <summary>
    /// Keeps the rest of the pipeline for requests made in process, then routes: routing must come after this point (an
    /// in-process request is routed on its own), so this call adds <c>UseRouting</c> itself.
    /// </summary>
    public static void Use(WebApplication app)
    {
        var api = app.Services.GetRequiredService<InProcessApi>();
        app.Use(next =>
        {
            api._pipeline = next;
            return next;
        });
        app.UseRouting();
    }

    public async Task<Answer> SendAsync(HttpContext caller, string method, string path, QueryString query, string? json,
        IEnumerable<KeyValuePair<string, string>>? headers, CancellationToken ct)
    {
        var pipeline = _pipeline ?? throw new InvalidOperationException("InProcessApi.Use was not called when the app was built.");
        var request = new HttpRequestFeature
        {
            Method = method, Scheme = caller.Request.Scheme, Protocol = caller.Request.Protocol, PathBase = caller.Request.PathBase,
            Path = path, QueryString = query.Value ?? "", RawTarget = path + query.Value,
            Body = json is null ? Stream.Null : new MemoryStream(Encoding.UTF8.GetBytes(json)),
        };
        request.Headers.Host = caller.Request.Host.Value;
        request.Headers.Authorization = caller.Request.Headers.Authorization;
        if (json is not null) request.Headers.ContentType = "application/json";
        foreach (var (name, value) in headers ?? []) request.Headers[name] = value;

        var body = new MemoryStream();
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(request);
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = ct });
        if (caller.Features.Get<IHttpConnectionFeature>() is { } connection) features.Set(connection);
        features.Set(new Request());
        var http = new DefaultHttpContext(features);
        // Not IHttpContextFactory: it would also make this context the current one for IHttpContextAccessor, the caller's flow.
        await using var services = new RequestServicesFeature(http, scopes);
        features.Set<IServiceProvidersFeature>(services);
        await pipeline(http);
        return new Answer(http.Response.StatusCode, http.Response.Headers, Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length));
    }
}
