using Microsoft.Extensions.Options;

namespace Hookline.Webhooks;

public sealed class SlackOptions
{
    public const string Section = "Hookline:Slack";
    public static readonly string[] DefaultHosts = ["hooks.slack.com"];

    /// <summary>Hosts whose URIs are Slack incoming webhooks. Setting any replaces the default <c>hooks.slack.com</c>.</summary>
    public List<string> Hosts { get; set; } = [];

    public IEnumerable<string> EffectiveHosts => Hosts.Count > 0 ? Hosts : DefaultHosts;

    /// <summary>At most one message per Slack webhook in this time (Slack allows about one a second); bursts queue.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Also send Standard Webhooks headers to Slack (off: Slack ignores them, and the URL is the secret).</summary>
    public bool StandardWebhooksHeaders { get; set; }
}

/// <summary>Infers a webhook's receiver type from its URI, as awork does: Slack hosts are 'slack', all else 'custom'.</summary>
public sealed class ReceiverTypes(IOptionsMonitor<SlackOptions> slack)
{
    public const string Custom = "custom";
    public const string Slack = "slack";

    public string Infer(Uri uri) =>
        slack.CurrentValue.EffectiveHosts.Any(h => string.Equals(h.Trim(), uri.Host, StringComparison.OrdinalIgnoreCase)) ? Slack : Custom;
}
