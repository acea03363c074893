using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hookline.Portal.Pages;

public sealed class SignOutModel : PageModel
{
    public IActionResult OnPost()
    {
        PortalSessions.SignOut(HttpContext);
        return LocalRedirect("/portal/signin");
    }
}
