using Hookline.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Hookline.Portal.Pages;

/// <summary>Signing in with a workspace token: only its hash goes into the session, and the token is never shown back.</summary>
public sealed class SignInModel(TokenService tokens, PortalSessions sessions, IStringLocalizer<PortalText> t) : PageModel
{
    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync(string? token, CancellationToken ct)
    {
        var found = string.IsNullOrWhiteSpace(token) ? null : await tokens.FindAsync(token.Trim(), ct);
        if (found?.WorkspaceId is not { } workspace)
        {
            Error = found is null ? t["This token is unknown, revoked or mistyped."] : t["This is a system token; the portal needs a workspace token."];
            return Page();
        }
        if (!found.Permissions.Intersect(Permissions.ReadingConfig).Any())
        {
            Error = t["This token may not read webhooks: it needs '{0}', '{1}' or '{2}'.", Permissions.ConfigRead, Permissions.ConfigWrite, Permissions.Admin];
            return Page();
        }
        sessions.SignIn(HttpContext, sessions.NewTicket(workspace, found.Id, found.TokenHash, readOnly: false));
        return LocalRedirect("/portal");
    }
}
