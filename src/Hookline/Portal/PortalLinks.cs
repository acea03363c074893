using System.Text.Json;
using Hookline.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Hookline.Portal;

/// <summary>A sign-in link for one workspace, as issued: its id (to open a session once), and until when it opens one.</summary>
public sealed record PortalLink(Guid Id, Guid WorkspaceId, bool ReadOnly, DateTimeOffset ExpiresOn);

public enum LinkProblem { None, Invalid, Expired, Used }

/// <summary>
/// Links that open a portal session for a workspace without a token, for operators who embed the portal. A link is the
/// link's fields encrypted and signed with the nodes' Data Protection key ring: it cannot be made or changed without the
/// key, names its one workspace, and says when it expires. Opening one records its id, so that it opens a session once.
/// </summary>
public sealed class PortalLinks(IDataProtectionProvider provider, IPortalStore store, IOptionsMonitor<PortalOptions> options, TimeProvider time)
{
    public const int MaxMinutes = 7 * 24 * 60;
    private readonly IDataProtector _protector = provider.CreateProtector("Hookline.Portal.Link.v1");

    /// <summary>The link's address under <paramref name="baseUrl"/> (<see cref="PortalOptions.PublicUrl"/> when set) and when it expires.</summary>
    public (string Url, DateTimeOffset ExpiresOn) Issue(Guid workspaceId, int minutes, bool readOnly, string baseUrl)
    {
        var link = new PortalLink(Guid.NewGuid(), workspaceId, readOnly, time.GetUtcNow().AddMinutes(minutes));
        var value = _protector.Protect(JsonSerializer.Serialize(link));
        var root = (options.CurrentValue.PublicUrl ?? baseUrl).TrimEnd('/');
        return ($"{root}/portal/enter?link={Uri.EscapeDataString(value)}", link.ExpiresOn);
    }

    /// <summary>The link, if it is genuine, unexpired, and opens its first session now.</summary>
    public async Task<(PortalLink? Link, LinkProblem Problem)> OpenAsync(string? value, CancellationToken ct)
    {
        PortalLink? link;
        try
        {
            link = string.IsNullOrEmpty(value) || value.Length > 4096 ? null : JsonSerializer.Deserialize<PortalLink>(_protector.Unprotect(value));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            link = null;
        }
        if (link is null) return (null, LinkProblem.Invalid);
        var now = time.GetUtcNow();
        if (link.ExpiresOn <= now) return (null, LinkProblem.Expired);
        return await store.UseLinkAsync(link.Id, now, link.ExpiresOn, ct) ? (link, LinkProblem.None) : (null, LinkProblem.Used);
    }
}
