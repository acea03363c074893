using Microsoft.Extensions.Options;

namespace Hookline.Webhooks;

/// <summary>Hosts whose URIs are one chat service's incoming webhooks: exact names, or <c>*.example.com</c> for any subdomain.</summary>
public abstract class ChatHostOptions
{
    /// <summary>Setting any replaces the defaults.</summary>
    public List<string> Hosts { get; set; } = [];

    protected abstract string[] Defaults { get; }

    public IEnumerable<string> EffectiveHosts => Hosts.Count > 0 ? Hosts : Defaults;

    public bool Matches(string host) => EffectiveHosts.Select(h => h.Trim()).Any(h => h.StartsWith("*.", StringComparison.Ordinal)
        ? host.EndsWith(h[1..], StringComparison.OrdinalIgnoreCase) && host.Length > h.Length - 1
        : string.Equals(h, host, StringComparison.OrdinalIgnoreCase));
}

public sealed class SlackOptions : ChatHostOptions
{
    public const string Section = "Hookline:Slack";
    public static readonly string[] DefaultHosts = ["hooks.slack.com"];

    protected override string[] Defaults => DefaultHosts;

    /// <summary>
    /// At most one message per chat webhook (Slack, Teams, Discord) in this time (Slack allows about one a second, Discord
    /// five in two seconds); bursts queue.
    /// </summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Also send Standard Webhooks headers to Slack (off: Slack ignores them, and the URL is the secret).</summary>
    public bool StandardWebhooksHeaders { get; set; }
}

/// <summary>Microsoft Teams: Office connector webhooks and Workflows (Power Automate) triggers.</summary>
public sealed class TeamsOptions : ChatHostOptions
{
    public const string Section = "Hookline:Teams";
    public static readonly string[] DefaultHosts =
        ["*.webhook.office.com", "outlook.office.com", "*.logic.azure.com", "*.environment.api.powerplatform.com"];

    protected override string[] Defaults => DefaultHosts;
}

/// <summary>Discord: its hosts, for URIs under <c>/api/webhooks/</c>.</summary>
public sealed class DiscordOptions : ChatHostOptions
{
    public const string Section = "Hookline:Discord";
    public static readonly string[] DefaultHosts = ["discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"];

    protected override string[] Defaults => DefaultHosts;
}

/// <summary>
/// Infers a webhook's receiver type from its URI, as awork does for Slack: Slack, Teams and Discord hosts are chat
/// receivers that get a message for people; all else is 'custom' and gets awork's JSON.
/// </summary>
public sealed class ReceiverTypes(IOptionsMonitor<SlackOptions> slack, IOptionsMonitor<TeamsOptions> teams, IOptionsMonitor<DiscordOptions> discord)
{
    public const string Custom = "custom";
    public const string Slack = "slack";
    public const string Teams = "teams";
    public const string Discord = "discord";

    /// <summary>The receivers that get a message for people, written from the same message model, in the webhook's language.</summary>
    public static readonly IReadOnlyList<string> Chat = [Slack, Teams, Discord];

    public static bool IsChat(string receiverType) => Chat.Contains(receiverType);

    public string Infer(Uri uri) =>
        slack.CurrentValue.Matches(uri.Host) ? Slack
        : teams.CurrentValue.Matches(uri.Host) ? Teams
        : discord.CurrentValue.Matches(uri.Host) && uri.AbsolutePath.StartsWith("/api/webhooks/", StringComparison.OrdinalIgnoreCase) ? Discord
        : Custom;
}
