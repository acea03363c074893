namespace Hookline.Auth;

public static class Permissions
{
    public const string Admin = "admin";
    public const string ConfigRead = "workspace-manage-config:read";
    public const string ConfigWrite = "workspace-manage-config:write";
    public const string EventsPublish = "events:publish";
    /// <summary>Reading /metrics: for system tokens only, since the figures cover every workspace.</summary>
    public const string MetricsRead = "metrics:read";
    /// <summary>Issuing portal links for any workspace: for system tokens only, held by the product that embeds the portal.</summary>
    public const string PortalIssue = "portal:issue";

    public static readonly IReadOnlyList<string> All = [Admin, ConfigRead, ConfigWrite, EventsPublish, MetricsRead, PortalIssue];

    /// <summary>Any one of these reads a workspace's webhooks (the API's config-read policy, the portal's sign-in).</summary>
    public static readonly IReadOnlyList<string> ReadingConfig = [Admin, ConfigRead, ConfigWrite];

    /// <summary>Any one of these changes a workspace's webhooks (the API's config-write policy, the portal's actions).</summary>
    public static readonly IReadOnlyList<string> WritingConfig = [Admin, ConfigWrite];
}

/// <summary>Named authorization policies; each lists the permissions that satisfy it (any one is enough).</summary>
public static class Policies
{
    public const string AnyWorkspaceToken = "any-workspace-token";
    public const string ConfigRead = "config-read";
    public const string ConfigWrite = "config-write";
    public const string EventsPublish = "events-publish";
    public const string MetricsRead = "metrics-read";
    public const string PortalIssue = "portal-issue";
}
