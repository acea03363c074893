using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Hookline.Portal.Pages;

/// <summary>Opens a session from a portal link, then moves on at once, so the link leaves the address bar.</summary>
public sealed class EnterModel(PortalLinks links, PortalSessions sessions, IStringLocalizer<PortalText> t) : PageModel
{
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? link, CancellationToken ct)
    {
        var (opened, problem) = await links.OpenAsync(link, ct);
        if (opened is not null)
        {
            sessions.SignIn(HttpContext, sessions.NewTicket(opened.WorkspaceId, opened.Id, tokenHash: null, opened.ReadOnly,
                framed: PortalSessions.IsFramedCrossSite(Request)));
            return LocalRedirect("/portal");
        }
        Problem = problem switch
        {
            LinkProblem.Expired => t["This link has expired. Ask for a new one."],
            LinkProblem.Used => t["This link was used already: a link opens the portal once. Ask for a new one."],
            _ => t["This link is not valid."],
        };
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }
}
