using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Hookline.Api;
using Hookline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Hookline.Auth;

/// <summary>Authenticates <c>Authorization: Bearer hl_…</c> against the stored token hashes.</summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TokenService tokens, ITokenStore store, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string WorkspaceClaim = "workspace";
    public const string PermissionClaim = "permission";
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);
    // last_used_on is written at most once a minute per token, so reads do not turn into writes.
    private static readonly ConcurrentDictionary<Guid, DateTimeOffset> LastTouched = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'.");

        var token = await tokens.FindAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null) return AuthenticateResult.Fail("The bearer token is malformed, unknown or revoked.");

        await TouchAsync(token);
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, token.Id.ToString()), new(ClaimTypes.Name, token.Name) };
        if (token.WorkspaceId is { } ws) claims.Add(new(WorkspaceClaim, ws.ToString()));
        claims.AddRange(token.Permissions.Select(p => new Claim(PermissionClaim, p)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = SchemeName;
        await ApiError.WriteAsync(Context, 401, "unauthorized",
            result.Failure?.Message ?? "This request needs a token: 'Authorization: Bearer <token>'.");
    }

    private async Task TouchAsync(ApiToken token)
    {
        var now = time.GetUtcNow();
        if (token.LastUsedOn > now - TouchEvery) return;
        if (LastTouched.TryGetValue(token.Id, out var last) && last > now - TouchEvery) return;
        LastTouched[token.Id] = now;
        try
        {
            await store.TouchAsync(token.Id, now, Context.RequestAborted);
        }
        catch (Exception e) when (!Context.RequestAborted.IsCancellationRequested)
        {
            // Best effort: a read must not fail because the disk cannot take this note (it is tried again a minute later).
            Logger.LogWarning("Token {TokenId} was used, but its last use could not be recorded: {Reason}", token.Id, e.Message);
        }
    }
}

public static class CallerExtensions
{
    public static Guid TokenId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!);

    /// <summary>The caller's workspace; endpoints reach this only through a policy that demands one.</summary>
    public static Guid WorkspaceId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(BearerTokenHandler.WorkspaceClaim)!);

    public static Guid? WorkspaceIdOrNull(this ClaimsPrincipal user) =>
        user.FindFirstValue(BearerTokenHandler.WorkspaceClaim) is { } ws ? Guid.Parse(ws) : null;
}
