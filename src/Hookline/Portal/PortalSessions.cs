using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Hookline.Portal;

/// <summary>
/// What a portal session cookie holds, encrypted and signed with the node's Data Protection key ring (shared by the nodes, as
/// for webhook secrets): the workspace, who acts (the token, or the link), and until when. A token session keeps the token's
/// hash, never the token, so that revoking the token ends the session at once.
/// </summary>
/// <param name="Framed">Opened from a link inside another site's iframe: its cookies must be sent in that frame.</param>
public sealed record PortalTicket(Guid WorkspaceId, Guid ActorId, string? TokenHash, bool ReadOnly, DateTimeOffset ExpiresOn, bool Framed = false);

public sealed class PortalSessions(IDataProtectionProvider provider, IOptionsMonitor<PortalOptions> options, TimeProvider time)
{
    public const string CookieName = "hookline_portal";
    private readonly IDataProtector _protector = provider.CreateProtector("Hookline.Portal.Session.v1");

    public PortalTicket NewTicket(Guid workspaceId, Guid actorId, string? tokenHash, bool readOnly, bool framed = false) =>
        new(workspaceId, actorId, tokenHash, readOnly, time.GetUtcNow() + options.CurrentValue.SessionLifetime, framed);

    /// <summary>
    /// Sets the cookie: HttpOnly, for /portal only, as long as the session lasts; Secure on HTTPS and SameSite=Strict, or for
    /// a session framed by another site (<see cref="PortalTicket.Framed"/>) SameSite=None, Secure and Partitioned (CHIPS): a
    /// browser sends no other cookie inside another site's iframe, and this one only there. Its forms keep their antiforgery
    /// tokens, which is what guards them when the browser no longer holds the cookie back from other sites.
    /// </summary>
    public void SignIn(HttpContext http, PortalTicket ticket)
    {
        var cookie = new CookieOptions { HttpOnly = true, Path = "/portal", Expires = ticket.ExpiresOn, IsEssential = true };
        Protect(cookie, http, ticket.Framed);
        http.Response.Cookies.Append(CookieName, _protector.Protect(JsonSerializer.Serialize(ticket)), cookie);
    }

    /// <summary>The SameSite, Secure and Partitioned attributes of the portal's cookies (the session's, the antiforgery one).</summary>
    public static void Protect(CookieOptions cookie, HttpContext http, bool framed)
    {
        cookie.SameSite = framed ? SameSiteMode.None : SameSiteMode.Strict;
        cookie.Secure = framed || http.Request.IsHttps;
        if (framed) cookie.Extensions.Add("Partitioned");
    }

    /// <summary>
    /// Whether this request is a page loaded into an iframe of another site (the browser's Fetch metadata says so). The CSP's
    /// frame-ancestors decides whether the browser shows it at all.
    /// </summary>
    public static bool IsFramedCrossSite(HttpRequest request) =>
        request.Headers["Sec-Fetch-Dest"] == "iframe" && request.Headers["Sec-Fetch-Site"] == "cross-site";

    public static void SignOut(HttpContext http) => http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/portal" });

    /// <summary>The cookie's ticket while it lasts; null when missing, tampered with, written with a key no longer held, or expired.</summary>
    public PortalTicket? Read(HttpContext http)
    {
        if (http.Request.Cookies[CookieName] is not { Length: > 0 } value) return null;
        try
        {
            var ticket = JsonSerializer.Deserialize<PortalTicket>(_protector.Unprotect(value));
            return ticket is not null && ticket.ExpiresOn > time.GetUtcNow() ? ticket : null;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// The portal's sign-in: the session cookie, checked on every request (a token session against its token, which must still be
/// live), gives the same claims a bearer token gives the API, so the pages act through the same permission checks.
/// </summary>
public sealed class PortalAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PortalSessions sessions, ITokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Portal";
    public const string ReadOnlyClaim = "portal-read-only";
    public const string FramedClaim = "portal-framed";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (sessions.Read(Context) is not { } ticket) return AuthenticateResult.NoResult();
        IEnumerable<string> permissions;
        if (ticket.TokenHash is { } hash)
        {
            var token = await tokens.FindByHashAsync(hash, Context.RequestAborted);
            if (token is not { RevokedOn: null } || token.WorkspaceId != ticket.WorkspaceId) return AuthenticateResult.Fail("The token of this session was revoked.");
            permissions = token.Permissions;
        }
        else permissions = [ticket.ReadOnly ? Permissions.ConfigRead : Permissions.ConfigWrite];

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, ticket.ActorId.ToString()), new(BearerTokenHandler.WorkspaceClaim, ticket.WorkspaceId.ToString()),
        };
        claims.AddRange(permissions.Select(p => new Claim(BearerTokenHandler.PermissionClaim, p)));
        if (ticket.ReadOnly) claims.Add(new(ReadOnlyClaim, "true"));
        if (ticket.Framed) claims.Add(new(FramedClaim, "true"));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Redirect("/portal/signin");
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}

public static class PortalUser
{
    /// <summary>May change things: a token with write or admin permission, or a link that is not read-only.</summary>
    public static bool CanWrite(this ClaimsPrincipal user) =>
        user.FindFirst(PortalAuthenticationHandler.ReadOnlyClaim) is null && Permissions.WritingConfig.Any(user.Holds);

    public static bool CanRead(this ClaimsPrincipal user) => Permissions.ReadingConfig.Any(user.Holds);

    private static bool Holds(this ClaimsPrincipal user, string permission) => user.HasClaim(BearerTokenHandler.PermissionClaim, permission);
}
