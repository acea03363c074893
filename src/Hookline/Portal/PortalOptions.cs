using System.ComponentModel.DataAnnotations;

namespace Hookline.Portal;

/// <summary><c>Hookline:Portal</c>: who may frame the portal, how long a session lasts, and the address links point at.</summary>
public sealed class PortalOptions : IValidatableObject
{
    public const string Section = "Hookline:Portal";

    /// <summary>Origins allowed to show the portal in an iframe (CSP frame-ancestors), e.g. <c>https://app.example.com</c>.</summary>
    public string[] FrameAncestors { get; set; } = [];

    /// <summary>How long a session lasts after signing in or opening a link.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The address people reach Hookline at, for the links it issues (default: the address the request came to).</summary>
    public string? PublicUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        foreach (var origin in FrameAncestors)
            if (!IsOrigin(origin))
                yield return new($"Hookline:Portal:FrameAncestors: '{origin}' is not an origin: give scheme and host (and port), like https://app.example.com.",
                    [nameof(FrameAncestors)]);
        if (SessionLifetime < TimeSpan.FromMinutes(1) || SessionLifetime > TimeSpan.FromDays(30))
            yield return new("Hookline:Portal:SessionLifetime must be from 00:01:00 to 30.00:00:00.", [nameof(SessionLifetime)]);
        if (PublicUrl is not null && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            yield return new($"Hookline:Portal:PublicUrl: '{PublicUrl}' is not an absolute http:// or https:// address.", [nameof(PublicUrl)]);
    }

    /// <summary>scheme://host[:port] and nothing else, so that nothing can be smuggled into the CSP header.</summary>
    public static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.PathAndQuery == "/" &&
        string.IsNullOrEmpty(uri.UserInfo) && value.TrimEnd('/').Equals(uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
}
