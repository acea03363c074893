using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hookline.Api;

/// <summary>
/// What the OpenAPI document says beyond the endpoints themselves: its servers and tags, and on every operation the
/// headers Hookline answers with (trace id, rate limits, paging) and the error answers every body-taking operation may give.
/// Property descriptions come from the wire types' XML comments (awork's wording where awork has one).
/// </summary>
public static class ApiDocument
{
    private static readonly Dictionary<string, string> Tags = new()
    {
        ["Webhooks"] = "awork's webhook management API (configs, event types, delivery logs) and Hookline's additions: signing secrets, " +
            "test sends, redelivery, recovery and delivery policies.",
        ["Events"] = "Publishing the producing product's events: each accepted event is committed with one delivery per subscribed webhook.",
        ["Portal"] = "Links that open the embedded portal for one workspace (system tokens with portal:issue).",
    };

    public static OpenApiOptions AddHooklineDocument(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, context, _) =>
        {
            // The address the document was asked at, without the trailing slash the generator writes.
            if (context.ApplicationServices.GetService<IHttpContextAccessor>()?.HttpContext?.Request is { } request)
                document.Servers = [new OpenApiServer { Url = $"{request.Scheme}://{request.Host}{request.PathBase}" }];
            document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (operation.RequestBody is not null && operation.Responses is { } responses && !responses.ContainsKey("415"))
                responses["415"] = new OpenApiResponse
                {
                    Description = "The body is not JSON (Content-Type: application/json).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(nameof(ErrorResponse), context.Document) },
                    },
                };
            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (response is not OpenApiResponse answer) continue;
                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                answer.Headers[ApiError.TraceIdHeader] = Header("The request's trace id, also in an error's traceId.");
                foreach (var (name, description) in RateLimitHeaders) answer.Headers[name] = Header(description, JsonSchemaType.Integer);
                if (status is "429" or "503") answer.Headers["Retry-After"] = Header("Seconds to wait before trying again.", JsonSchemaType.Integer);
            }
            return Task.CompletedTask;
        });
        return options;
    }

    private static readonly (string, string)[] RateLimitHeaders =
    [
        ("RateLimit-Limit", "Requests the workspace may make in the tighter of its windows (a second or a minute)."),
        ("RateLimit-Remaining", "Requests left in that window."),
        ("RateLimit-Reset", "Seconds until that window starts over."),
        ("X-RateLimit-Limit-Second", "Requests the workspace may make a second."),
        ("X-RateLimit-Remaining-Second", "Requests left this second."),
        ("X-RateLimit-Limit-Minute", "Requests the workspace may make a minute."),
        ("X-RateLimit-Remaining-Minute", "Requests left this minute."),
    ];

    /// <summary>The paging headers of a list's answer (<see cref="Paging.WriteHeaders"/>), for <see cref="ListParameters"/>.</summary>
    public static void AddPagingHeaders(OpenApiOperation operation)
    {
        if (operation.Responses?.GetValueOrDefault("200") is not OpenApiResponse ok) return;
        ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
        foreach (var (name, description) in PagingHeaders) ok.Headers[name] = Header(description, JsonSchemaType.Integer);
    }

    private static readonly (string, string)[] PagingHeaders =
    [
        ("aw-page", "The page returned, from 1."), ("aw-pagesize", "Items per page."), ("aw-items", "Items on this page."),
        ("aw-totalitems", "Items on all pages."),
    ];

    private static OpenApiHeader Header(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };
}
