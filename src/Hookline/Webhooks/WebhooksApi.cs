using Hookline.Api;
using Hookline.Auth;
using Hookline.Security;
using Hookline.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hookline.Webhooks;

public static class WebhooksApi
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.Section);
        services.AddOptions<TeamsOptions>().BindConfiguration(TeamsOptions.Section);
        services.AddOptions<DiscordOptions>().BindConfiguration(DiscordOptions.Section);
        services.AddSingleton<ReceiverTypes>();
        services.AddSingleton<WebhookFormReader>();
        services.AddSingleton<WebhookCommands>();
        return services;
    }

    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/webhooks").WithTags("Webhooks").ProducesErrors(401, 429);

        group.MapGet("/", ListAsync).WithName("GetWebhooks").WithSummary("Returns all configured webhooks.")
            .WithListParameters().Produces<ErrorResponse>(400).RequireAuthorization(Policies.ConfigRead);
        group.MapPost("/", CreateAsync).WithName("PostWebhook").WithSummary("Creates a new webhook.")
            .WithDescription("The receiver type is inferred from the URI. All unknown receivers are treated as 'custom'.")
            .Accepts<WebhookConfigForm>("application/json").Produces<ErrorResponse>(400).RequireAuthorization(Policies.ConfigWrite);
        group.MapGet("/eventtypes", () => TypedResults.Ok(EventTypes.Custom)).WithName("GetWebhookEventTypes")
            .WithSummary("Returns all available event types.").RequireAuthorization(Policies.AnyWorkspaceToken);
        group.MapGet("/eventtypes/slack", () => TypedResults.Ok(EventTypes.Slack)).WithName("GetSlackEventTypes")
            .WithSummary("Returns all available event types for Slack webhooks.").RequireAuthorization(Policies.AnyWorkspaceToken);
        group.MapGet("/eventtypes/teams", () => TypedResults.Ok(EventTypes.For(ReceiverTypes.Teams))).WithName("GetTeamsEventTypes")
            .WithSummary("Returns all available event types for Microsoft Teams webhooks.").RequireAuthorization(Policies.AnyWorkspaceToken);
        group.MapGet("/eventtypes/discord", () => TypedResults.Ok(EventTypes.For(ReceiverTypes.Discord))).WithName("GetDiscordEventTypes")
            .WithSummary("Returns all available event types for Discord webhooks.").RequireAuthorization(Policies.AnyWorkspaceToken);
        group.MapGet("/{webhookId:guid}", GetAsync).WithName("GetWebhook").WithSummary("Returns the webhook with the specified id.")
            .Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigRead);
        group.MapPut("/{webhookId:guid}", UpdateAsync).WithName("PutWebhook").WithSummary("Updates the webhook with the specified id.")
            .Accepts<WebhookConfigForm>("application/json").Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigWrite);
        group.MapDelete("/{webhookId:guid}", DeleteAsync).WithName("DeleteWebhook").WithSummary("Deletes the webhook with the specified id.")
            .Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigWrite);
        group.MapGet("/{webhookId:guid}/logs", ListLogsAsync).WithName("GetWebhookLogs")
            .WithSummary("Returns all logs of the webhook with the specified id.").WithListParameters()
            .Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).RequireAuthorization(Policies.ConfigRead);
        group.MapPolicies();
        return group;
    }

    private static async Task<Results<Ok<IEnumerable<WebhookConfig>>, JsonHttpResult<ErrorResponse>>> ListAsync(
        HttpContext http, IWebhookStore store, SecretProtector protector, CancellationToken ct)
    {
        if (Paging.TryRead(http, WebhookFields.Config, WebhookFields.ConfigDefaultOrder, out var query) is { } bad)
            return bad;
        var page = await store.ListAsync(http.User.WorkspaceId(), query, ct);
        // Decrypted here, not lazily while serialising, so that an unreadable secret is an error answer, not a cut-off body.
        var configs = page.Items.Select(w => WebhookConfig.From(protector.Reveal(w))).ToList();
        Paging.WriteHeaders(http.Response, query, page);
        return TypedResults.Ok<IEnumerable<WebhookConfig>>(configs);
    }

    private static async Task<Results<Ok<WebhookConfig>, JsonHttpResult<ErrorResponse>>> GetAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, SecretProtector protector, CancellationToken ct) =>
        await store.GetAsync(http.User.WorkspaceId(), webhookId, ct) is { } webhook
            ? TypedResults.Ok(WebhookConfig.From(protector.Reveal(webhook)))
            : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Ok<WebhookConfig>, JsonHttpResult<ErrorResponse>>> CreateAsync(
        HttpContext http, WebhookFormReader reader, WebhookCommands commands, CancellationToken ct)
    {
        var (form, receiverType, error) = await ReadFormAsync(http, reader, ct);
        if (error is not null) return error;
        return TypedResults.Ok(WebhookConfig.From(await commands.CreateAsync(http.User.WorkspaceId(), http.User.TokenId(), form!, receiverType, ct)));
    }

    private static async Task<Results<Ok<WebhookConfig>, JsonHttpResult<ErrorResponse>>> UpdateAsync(
        Guid webhookId, HttpContext http, WebhookFormReader reader, IWebhookStore store, WebhookCommands commands, CancellationToken ct)
    {
        if (await store.GetAsync(http.User.WorkspaceId(), webhookId, ct) is not { } existing) return ApiError.WebhookNotFound(http, webhookId);
        var (form, receiverType, error) = await ReadFormAsync(http, reader, ct);
        if (error is not null) return error;
        return await commands.UpdateAsync(existing, http.User.TokenId(), form!, receiverType, ct) is { } updated
            ? TypedResults.Ok(WebhookConfig.From(updated))
            : ApiError.WebhookNotFound(http, webhookId);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ErrorResponse>>> DeleteAsync(
        Guid webhookId, HttpContext http, WebhookCommands commands, CancellationToken ct) =>
        await commands.DeleteAsync(http.User.WorkspaceId(), webhookId, ct) ? TypedResults.NoContent() : ApiError.WebhookNotFound(http, webhookId);

    private static async Task<Results<Ok<IEnumerable<WebhookLog>>, JsonHttpResult<ErrorResponse>>> ListLogsAsync(
        Guid webhookId, HttpContext http, IWebhookStore store, CancellationToken ct)
    {
        var workspace = http.User.WorkspaceId();
        if (await store.GetAsync(workspace, webhookId, ct) is null) return ApiError.WebhookNotFound(http, webhookId);
        if (Paging.TryRead(http, WebhookFields.Log, WebhookFields.LogDefaultOrder, out var query) is { } bad)
            return bad;
        var page = await store.ListLogsAsync(workspace, webhookId, query, ct);
        Paging.WriteHeaders(http.Response, query, page);
        return TypedResults.Ok(page.Items.Select(WebhookLog.From));
    }


    private static async Task<(WebhookConfigForm? Form, string ReceiverType, JsonHttpResult<ErrorResponse>? Error)> ReadFormAsync(
        HttpContext http, WebhookFormReader reader, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(http, JsonBody.DefaultMaxBytes, ct);
        if (error is not null) return (null, "", error);
        using (body)
        {
            var result = reader.Read(body!.Document.RootElement);
            return result.Form is null
                ? (null, result.ReceiverType, ApiError.Validation(http, result.Errors))
                : (result.Form, result.ReceiverType, null);
        }
    }
}
