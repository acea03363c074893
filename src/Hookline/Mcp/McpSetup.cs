using Hookline.Api;
using Hookline.Auth;

namespace Hookline.Mcp;

/// <summary>
/// The MCP server at /mcp (Streamable HTTP, stateless so that any node answers any request): the API's bearer tokens,
/// permissions, workspace isolation and rate limit, with tools that are API calls (<see cref="McpTools"/>).
/// </summary>
public static class McpSetup
{
    public static IServiceCollection AddHooklineMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<InProcessApi>();
        services.AddMcpServer(o =>
            {
                o.ServerInfo = new() { Name = "hookline", Title = "Hookline webhooks", Version = typeof(McpSetup).Assembly.GetName().Version?.ToString(3) ?? "0" };
                o.ServerInstructions = "Hookline delivers a workspace's events to webhooks (any HTTPS endpoint, or Slack, Microsoft Teams and Discord). These tools manage " +
                    "the workspace's webhooks, show why deliveries failed (search_delivery_logs), send them again (redeliver, recover_since) " +
                    "and publish events. Errors are the API's: 'code', 'description' and, for bad arguments, 'validationErrors'.";
            })
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools(McpTools.All);
        return services;
    }

    /// <summary>A workspace's token may connect (an agent works in one workspace); each tool then needs what its API endpoint needs.</summary>
    public static IEndpointConventionBuilder MapHooklineMcp(this IEndpointRouteBuilder routes) =>
        routes.MapMcp("/mcp").RequireAuthorization(Policies.AnyWorkspaceToken).ExcludeFromDescription();
}
