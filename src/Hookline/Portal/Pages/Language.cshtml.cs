using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hookline.Portal.Pages;

/// <summary>Switches the portal's language (a cookie for a year; without it, the browser's language decides).</summary>
public sealed class LanguageModel : PageModel
{
    public IActionResult OnPost(string? culture, string? returnUrl)
    {
        if (culture is "en" or "de")
            Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName, CookieRequestCultureProvider.MakeCookieValue(new(culture)),
                new CookieOptions { Path = "/portal", Expires = DateTimeOffset.UtcNow.AddYears(1), HttpOnly = true, SameSite = SameSiteMode.Strict,
                    Secure = Request.IsHttps, IsEssential = true });
        return LocalRedirect(returnUrl is { } url && Url.IsLocalUrl(url) && url.StartsWith("/portal", StringComparison.Ordinal) ? url : "/portal");
    }
}
