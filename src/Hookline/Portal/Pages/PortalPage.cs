using Hookline.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hookline.Portal.Pages;

/// <summary>A page of a signed-in workspace: the session's workspace and actor, and whether it may change things.</summary>
[Authorize(AuthenticationSchemes = PortalAuthenticationHandler.SchemeName, Policy = PortalSetup.ReadPolicy)]
public abstract class PortalPage : PageModel
{
    public Guid WorkspaceId => User.WorkspaceId();
    public Guid ActorId => User.TokenId();
    public bool CanWrite => User.CanWrite();

    /// <summary>A read-only session asked for a change: refused, as the API refuses a token without the permission.</summary>
    protected IActionResult? RefuseUnlessWritable() => CanWrite ? null : StatusCode(StatusCodes.Status403Forbidden);
}
