using System.Globalization;
using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Hookline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Options;

namespace Hookline.Portal;

/// <summary>A request for a portal link (system tokens with portal:issue).</summary>
/// <param name="WorkspaceId">The workspace the link opens.</param>
/// <param name="ExpiresInMinutes">How long the link may be opened, 1 minute to 7 days.</param>
/// <param name="ReadOnly">Whether the session it opens may only look.</param>
public sealed record PortalLinkForm(Guid WorkspaceId, int ExpiresInMinutes, bool ReadOnly);

/// <summary>A portal link: opens one session, once.</summary>
/// <param name="Url">The link to give the person.</param>
/// <param name="ExpiresOn">When it can no longer be opened.</param>
public sealed record PortalLinkResult(string Url, DateTime ExpiresOn);

/// <summary>
/// The portal: Razor Pages under /portal (no script of its own beyond showing times in the reader's zone), its session
/// scheme, its languages, its security headers, and the API that issues its links.
/// </summary>
public static class PortalSetup
{
    public const string ReadPolicy = "portal-read";
    private static readonly string[] Languages = ["en", "de"];

    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PortalSessions>();
        services.AddSingleton<PortalLinks>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, PortalAuthenticationHandler>(PortalAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(ReadPolicy, p => p.AddAuthenticationSchemes(PortalAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().RequireAssertion(c => c.User.CanRead()));
        services.AddLocalization();
        services.AddRazorPages(o => o.RootDirectory = "/Portal/Pages");
        services.AddAntiforgery(o => o.Cookie = new AntiforgeryCookie { Name = "hookline_antiforgery", Path = "/portal", HttpOnly = true });
        return services;
    }

    /// <summary>For /portal only: the reader's language, and headers that keep the pages from being framed, sniffed or scripted.</summary>
    public static IApplicationBuilder UsePortal(this IApplicationBuilder app) => app.UseWhen(
        http => http.Request.Path.StartsWithSegments("/portal"),
        portal =>
        {
            portal.Use((http, next) =>
            {
                var ancestors = http.RequestServices.GetRequiredService<IOptionsMonitor<PortalOptions>>().CurrentValue.FrameAncestors;
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; " +
                    $"base-uri 'none'; frame-ancestors {(ancestors.Length == 0 ? "'none'" : string.Join(' ', ancestors))}";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
                return next(http);
            });
            // Every /portal request knows its session, pages without [Authorize] included (the sign-in page, the language
            // switch): antiforgery tokens are bound to the user, and a form must validate as the user it was made for.
            portal.Use(async (http, next) =>
            {
                if ((await http.AuthenticateAsync(PortalAuthenticationHandler.SchemeName)).Principal is { } user) http.User = user;
                await next(http);
            });
            portal.UseRequestLocalization(new RequestLocalizationOptions { ApplyCurrentCultureToResponseHeaders = true }
                .SetDefaultCulture(Languages[0]).AddSupportedCultures(Languages).AddSupportedUICultures(Languages));
        });

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapGet("/portal/assets/{name}", (string name) => Asset(name)).ExcludeFromDescription();
        app.MapGroup("/api/v1/portal").WithTags("Portal").ProducesErrors(401, 429)
            .MapPost("/links", IssueLinkAsync).WithName("CreatePortalLink")
            .WithSummary("Issues a link that opens the portal for one workspace, once, until it expires (system tokens with portal:issue).")
            .Accepts<PortalLinkForm>("application/json").Produces<ErrorResponse>(400).Produces<ErrorResponse>(404)
            .RequireAuthorization(Policies.PortalIssue);
        return app;
    }

    private static async Task<Results<Ok<PortalLinkResult>, JsonHttpResult<ErrorResponse>>> IssueLinkAsync(
        HttpContext http, PortalLinks links, ITokenStore tokens, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(http, 4096, ct);
        if (error is not null) return error;
        using (body)
        {
            var (form, errors) = ReadLinkForm(body!.Document.RootElement);
            if (form is null) return ApiError.Validation(http, errors);
            if ((await tokens.ListWorkspacesAsync(ct)).All(w => w.Id != form.WorkspaceId))
                return ApiError.NotFound(http, $"There is no workspace with the id '{form.WorkspaceId}'.");
            var (url, expiresOn) = links.Issue(form.WorkspaceId, form.ExpiresInMinutes, form.ReadOnly,
                $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}");
            return TypedResults.Ok(new PortalLinkResult(url, expiresOn.UtcDateTime));
        }
    }

    /// <summary>Every bad property at once: workspaceId (required), expiresInMinutes (1 to 10,080; 60), readOnly (false).</summary>
    public static (PortalLinkForm? Form, List<ValidationErrorResponse> Errors) ReadLinkForm(JsonElement root)
    {
        var errors = new List<ValidationErrorResponse>();
        if (root.ValueKind != JsonValueKind.Object) return (null, [new(null, "The body must be a JSON object.")]);
        Guid? workspace = null;
        int minutes = 60;
        var readOnly = false;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name.ToLowerInvariant())
            {
                case "workspaceid":
                    if (p.Value.ValueKind == JsonValueKind.String && Guid.TryParse(p.Value.GetString(), out var id)) workspace = id;
                    else errors.Add(new("workspaceId", "'workspaceId' must be a workspace id (a GUID)."));
                    break;
                case "expiresinminutes":
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var m) && m is >= 1 and <= PortalLinks.MaxMinutes) minutes = m;
                    else errors.Add(new("expiresInMinutes", $"'expiresInMinutes' must be a whole number from 1 to {PortalLinks.MaxMinutes:N0} (7 days)."));
                    break;
                case "readonly":
                    if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) readOnly = p.Value.GetBoolean();
                    else errors.Add(new("readOnly", "'readOnly' must be true or false."));
                    break;
                default:
                    errors.Add(new(p.Name, $"'{p.Name}' is not a property of PortalLinkForm. Known: workspaceId, expiresInMinutes, readOnly."));
                    break;
            }
        }
        if (workspace is null && !errors.Any(e => e.Property == "workspaceId")) errors.Add(new("workspaceId", "'workspaceId' is required."));
        return errors.Count > 0 ? (null, errors) : (new PortalLinkForm(workspace!.Value, minutes, readOnly), errors);
    }

    private static IResult Asset(string name) => name switch
    {
        "portal.css" => Results.Text(Read(name), "text/css; charset=utf-8"),
        "portal.js" => Results.Text(Read(name), "text/javascript; charset=utf-8"),
        _ => Results.NotFound(),
    };

    private static readonly Dictionary<string, string> Assets = new();

    private static string Read(string name)
    {
        lock (Assets)
        {
            if (Assets.TryGetValue(name, out var text)) return text;
            using var stream = typeof(PortalSetup).Assembly.GetManifestResourceStream($"Hookline.Portal.Assets.{name}")!;
            return Assets[name] = new StreamReader(stream).ReadToEnd();
        }
    }

    /// <summary>The page for a status without a body on a /portal path (a refused form, a missing webhook), in the reader's language.</summary>
    public static Task WriteStatusPageAsync(HttpContext http)
    {
        var t = http.RequestServices.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<PortalText>>();
        var (title, text) = http.Response.StatusCode switch
        {
            400 => (t["The form could not be accepted"], t["It was sent without its security token, or the token had expired. Go back, reload the page and try again."]),
            403 => (t["Not allowed"], t["This session may look but not change anything."]),
            404 => (t["Not found"], t["There is no such page, or it belongs to another workspace."]),
            _ => (t["Something went wrong"], t["The request failed with status {0}.", http.Response.StatusCode]),
        };
        http.Response.ContentType = "text/html; charset=utf-8";
        var e = System.Text.Encodings.Web.HtmlEncoder.Default;
        return http.Response.WriteAsync(
            $"""
             <!DOCTYPE html><html lang="{CultureInfo.CurrentUICulture.TwoLetterISOLanguageName}"><head><meta charset="utf-8"><title>{e.Encode(title)} · Hookline</title>
             <link rel="stylesheet" href="/portal/assets/portal.css"></head><body><header><a class="brand" href="/portal">Hookline</a></header>
             <main><h1>{e.Encode(title)}</h1><p class="error" role="alert">{e.Encode(text)}</p><p><a href="/portal">{e.Encode(t["Back to the webhooks"])}</a></p></main></body></html>
             """);
    }
}

/// <summary>The antiforgery cookie, with the session's SameSite, Secure and Partitioned attributes (see <see cref="PortalSessions.Protect"/>).</summary>
public sealed class AntiforgeryCookie : CookieBuilder
{
    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var cookie = base.Build(context, expiresFrom);
        PortalSessions.Protect(cookie, context, context.User.HasClaim(PortalAuthenticationHandler.FramedClaim, "true"));
        return cookie;
    }
}

/// <summary>The portal's texts: PortalText.resx (English) and PortalText.de.resx.</summary>
public sealed class PortalText;
