using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Portal;
using Hookline.Security;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Playwright;

namespace Hookline.Tests.Portal;

// One browser suite at a time: two Chromiums and two Hookline processes beside the other suites on two cores made pages
// miss their time to load.
[CollectionDefinition("browser")]
public sealed class BrowserCollection;

[Collection("browser")]
public sealed class SqlitePortalBrowserTests(SqlitePortalFixture f) : PortalBrowserTests(f), IClassFixture<SqlitePortalFixture>;

[Collection("browser")]
public sealed class PostgresPortalBrowserTests(PostgresPortalFixture f) : PortalBrowserTests(f), IClassFixture<PostgresPortalFixture>;

/// <summary>
/// The portal as a person uses it, in headless Chromium against a real Hookline process: every page is read the way a
/// person reads it (text, buttons, links), and every change is made by clicking. The same suite runs on both stores.
/// </summary>
public abstract class PortalBrowserTests(PortalFixture f)
{
    private Task<IPage> AdminAsync(string locale = "en-GB", string timeZone = "UTC") => f.SignedInAsync(f.AcmeAdmin, locale, timeZone);

    /// <summary>Creates a webhook through the form and opens its page.</summary>
    private async Task<IPage> WithWebhookAsync(string name, string path, params string[] events)
    {
        var page = await AdminAsync();
        await page.ClickAsync("text=New webhook");
        await page.FillAsync("#name", name);
        await page.FillAsync("#uri", $"{f.Receiver.Url}/{path}");
        foreach (var e in events.DefaultIfEmpty("task_added")) await page.CheckAsync($"input[name='Input.Events'][value='{e}']");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("text=The webhook was created.");
        return page;
    }

    private static async Task ScreenshotAsync(IPage page, string name, PortalFixture f)
    {
        if (!f.Postgres) await page.ScreenshotAsync(new() { Path = Path.Combine(PortalFixture.ScreenshotFolder, name), FullPage = true });
    }

    private static Task<string> TextAsync(IPage page) => page.InnerTextAsync("main");

    [BrowserFact]
    public async Task ATokenSignsInAndABadOneIsRefusedWithoutShowingIt()
    {
        var page = await f.NewPageAsync();
        await page.GotoAsync("/portal");
        Assert.EndsWith("/portal/signin", page.Url); // no session: to the sign-in page
        await ScreenshotAsync(page, "signin.png", f);

        await page.FillAsync("#token", "hl_not-a-real-token");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("This token is unknown, revoked or mistyped.", await TextAsync(page));
        Assert.DoesNotContain("hl_not-a-real-token", await page.ContentAsync());

        await page.FillAsync("#token", f.AcmeAdmin);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/portal");
        Assert.Equal("Webhooks", await page.InnerTextAsync("h1"));
        Assert.DoesNotContain(f.AcmeAdmin, await page.ContentAsync());
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == PortalSessions.CookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(f.AcmeAdmin, cookie.Value);
    }

    [BrowserFact]
    public async Task AWebhookIsCreatedThroughTheFormAfterItsBadUriIsShownWithTheApisMessage()
    {
        var page = await AdminAsync();
        await page.ClickAsync("text=New webhook");
        await page.FillAsync("#name", "Ops channel");
        await page.FillAsync("#uri", "not a uri");
        await page.CheckAsync("input[name='Input.Events'][value='task_added']");
        await page.ClickAsync("button[type=submit]");
        Assert.Equal("'uri' must be an absolute http:// or https:// URI.", await page.InnerTextAsync(".field-error[data-field=uri]"));
        Assert.Equal("Ops channel", await page.InputValueAsync("#name")); // what was typed stays
        await ScreenshotAsync(page, "webhook-form-error.png", f);

        await page.FillAsync("#uri", $"{f.Receiver.Url}/ops");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("text=The webhook was created.");
        Assert.Contains("task_added", await page.InnerTextAsync("dl.facts"));
        await page.ClickAsync("text=← Webhooks");
        Assert.Contains("Ops channel", await page.InnerTextAsync("#webhooks"));
    }

    [BrowserFact]
    public async Task PublishedEventsShowAsDeliveriesAndAFailedAttemptShowsTheAnswerAndIsSentAgain()
    {
        f.Receiver.Respond = async (r, http) =>
        {
            if (!r.Path.EndsWith("/refusing", StringComparison.Ordinal)) { await http.Response.WriteAsync("ok"); return; }
            http.Response.StatusCode = 500;
            await http.Response.WriteAsync("the receiver says no");
        };
        var page = await WithWebhookAsync("Refusing receiver", "refusing");
        await f.PublishAsync(f.Acme, new { name = "Write the release notes" });
        await f.PublishAsync(f.Acme, new { name = "Plan the sprint" });

        // two events, two attempts each (MaxAttempts 2), all failed
        await Eventually.TrueAsync(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("#attempts tbody tr").CountAsync() == 4;
        }, 30, "four failed attempts listed");
        Assert.Equal(4, await page.Locator("#attempts tbody tr.failed").CountAsync());
        await ScreenshotAsync(page, "webhook.png", f);

        await page.SelectOptionAsync("select[name=outcome]", "succeeded");
        await page.ClickAsync("text=Filter");
        Assert.Contains("No attempts match.", await TextAsync(page));
        await page.SelectOptionAsync("select[name=outcome]", "failed");
        await page.ClickAsync("text=Filter");
        Assert.Equal(4, await page.Locator("#attempts tbody tr").CountAsync());

        await page.Locator("#attempts tbody tr a").First.ClickAsync();
        Assert.StartsWith("500 – HTTP 500", await page.InnerTextAsync("#response-code"));
        Assert.Equal("the receiver says no", await page.InnerTextAsync("#response-body"));
        Assert.Matches("Write the release notes|Plan the sprint", await page.InnerTextAsync("#request-body"));
        Assert.Contains("v1,••••••••", await TextAsync(page));
        await ScreenshotAsync(page, "attempt.png", f);

        f.Receiver.Respond = (_, http) => http.Response.WriteAsync("ok");
        await page.ClickAsync("#redeliver");
        await page.WaitForSelectorAsync("text=The delivery was queued again.");
        await Eventually.TrueAsync(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("#attempts tbody tr.ok").CountAsync() == 1;
        }, 30, "the attempt sent again, and answered 200");
        // everything failed since a minute ago, sent again: the second event's two failed attempts are one delivery
        f.Receiver.Respond = (_, http) => http.Response.WriteAsync("ok");
        await page.FillAsync("input[name=since]", DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm"));
        await page.ClickAsync("#recover");
        Assert.Contains("failed deliveries were queued again.", await TextAsync(page));
        await Eventually.TrueAsync(async () =>
        {
            await page.GotoAsync(page.Url.Split('?')[0]);
            return await page.Locator("#attempts tbody tr.ok").CountAsync() == 2;
        }, 30, "the other failed delivery recovered");

        await page.ClickAsync("#test");
        Assert.StartsWith("Test event: the receiver answered 200", await page.InnerTextAsync("#test-result"));

        await page.GotoAsync("/portal");
        Assert.Matches(@"\d+ % of 7", await page.InnerTextAsync("#webhooks"));
        await ScreenshotAsync(page, "webhooks.png", f);
    }

    [BrowserFact]
    public async Task TheSecretIsRevealedOnClickAndRotatedAndPausingAndResumingWork()
    {
        var page = await WithWebhookAsync("Secret keeper", "secret");
        Assert.Equal(0, await page.Locator("#secret-value").CountAsync()); // not on the page until asked for
        await page.ClickAsync("#reveal");
        var first = await page.InnerTextAsync("#secret-value");
        Assert.StartsWith("whsec_", first);

        await page.ClickAsync("#rotate");
        var second = await page.InnerTextAsync("#secret-value");
        Assert.StartsWith("whsec_", second);
        Assert.NotEqual(first, second);
        Assert.Contains("The old one signs beside it for", await TextAsync(page));
        Assert.Equal("hmac-sha256", await page.InputValueAsync("#algorithm"));

        // Switched to Ed25519, the page shows the public key to verify with, and how; rotating again keeps the kind.
        await page.SelectOptionAsync("#algorithm", "ed25519");
        await page.ClickAsync("#rotate");
        var publicKey = await page.InnerTextAsync("#secret-value");
        Assert.Matches("^whpk_[A-Za-z0-9+/]{43}=$", publicKey);
        Assert.Contains("Check the signature with this public key.", await TextAsync(page));
        Assert.Equal("ed25519", await page.InputValueAsync("#algorithm"));
        await page.ClickAsync("#secret summary");
        Assert.Contains("v1a,", await page.InnerTextAsync("#secret pre"));
        await page.ClickAsync("#rotate");
        Assert.StartsWith("whpk_", await page.InnerTextAsync("#secret-value"));
        Assert.NotEqual(publicKey, await page.InnerTextAsync("#secret-value"));

        await page.ClickAsync("#toggle");
        await page.WaitForSelectorAsync("text=The webhook is paused: nothing is sent until it is resumed.");
        Assert.Equal("Paused", await page.InnerTextAsync("#state .state"));
        await page.ClickAsync("#toggle");
        await page.WaitForSelectorAsync("text=The webhook is active again.");
        Assert.Equal("Active", await page.InnerTextAsync("#state .state"));
    }

    [BrowserFact]
    public async Task APortalLinkOpensItsWorkspaceOnceAndAnExpiredOneDoesNot()
    {
        var response = await f.System.PostAsJsonAsync("/api/v1/portal/links", new { workspaceId = f.Acme, expiresInMinutes = 10 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;

        var page = await f.NewPageAsync();
        await page.GotoAsync(url);
        await page.WaitForURLAsync("**/portal");
        Assert.Equal("Webhooks", await page.InnerTextAsync("h1"));
        Assert.Equal(1, await page.Locator("text=New webhook").CountAsync());

        // the link's session sees its workspace only, whatever the address says
        Assert.Equal(404, (await page.GotoAsync($"/portal/webhooks/{f.OtherWebhook}"))!.Status);
        Assert.DoesNotContain("other's secret hook", await page.ContentAsync());

        var again = await f.NewPageAsync();
        var refused = await again.GotoAsync(url);
        Assert.Equal(403, refused!.Status);
        Assert.Contains("This link was used already", await again.InnerTextAsync("#link-problem"));

        // A link issued with the nodes' key ring an hour ago, for ten minutes.
        var provider = DataProtectionProvider.Create(new DirectoryInfo(f.KeysPath), b => b.SetApplicationName(SecretsSetup.ApplicationName));
        var old = provider.CreateProtector("Hookline.Portal.Link.v1").Protect(JsonSerializer.Serialize(
            new PortalLink(Guid.NewGuid(), f.Acme, false, DateTimeOffset.UtcNow.AddMinutes(-50))));
        var expired = await f.NewPageAsync();
        Assert.Equal(403, (await expired.GotoAsync($"/portal/enter?link={Uri.EscapeDataString(old)}"))!.Status);
        Assert.Contains("This link has expired", await expired.InnerTextAsync("#link-problem"));
        Assert.EndsWith("/portal/signin", (await expired.GotoAsync("/portal"))!.Url); // and no session came of it
    }

    [BrowserFact]
    public async Task AnotherSiteShowsThePortalInAnIframeFromALinkAndItsFormsWorkThere()
    {
        async Task<string> LinkAsync()
        {
            var response = await f.System.PostAsJsonAsync("/api/v1/portal/links", new { workspaceId = f.Acme });
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;
        }
        var (allowed, other) = (await LinkAsync(), await LinkAsync());
        f.Receiver.Respond = async (r, http) =>
        {
            if (!r.Path.StartsWith("/embed", StringComparison.Ordinal)) { await http.Response.WriteAsync("ok"); return; }
            http.Response.ContentType = "text/html; charset=utf-8";
            var link = r.Path == "/embed/allowed" ? allowed : other;
            await http.Response.WriteAsync($"<!DOCTYPE html><title>The product</title><h1>The product</h1><iframe src=\"{link}\" width=\"1100\" height=\"900\"></iframe>");
        };

        // The allowed site (localhost, a site apart from Hookline's 127.0.0.1): the link opens a session inside the frame.
        var page = await f.NewPageAsync();
        await page.GotoAsync($"{f.EmbeddingSite}/embed/allowed");
        var frame = page.FrameLocator("iframe");
        Assert.Equal("Webhooks", await frame.Locator("h1").InnerTextAsync());
        await frame.Locator("a.button[href='/portal/webhooks/new']").ClickAsync();
        await frame.Locator("#name").FillAsync("Made in a frame");
        await frame.Locator("#uri").FillAsync($"{f.Receiver.Url}/framed");
        await frame.Locator("input[name='Input.Events'][value='task_added']").CheckAsync();
        await frame.Locator("button[type=submit]").ClickAsync(); // a form, with its antiforgery token, posted inside the frame
        await frame.Locator("text=The webhook was created.").WaitForAsync();
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == PortalSessions.CookieName);
        Assert.Equal((SameSiteAttribute.None, true, true), (cookie.SameSite, cookie.Secure, cookie.HttpOnly));

        // Another origin, not in Hookline:Portal:FrameAncestors: the browser refuses to show the portal in its frame.
        var refused = await f.NewPageAsync();
        await refused.GotoAsync($"{f.Receiver.Url}/embed/other");
        await refused.WaitForTimeoutAsync(1500);
        Assert.Equal("The product", await refused.InnerTextAsync("h1"));
        Assert.Equal(0, await refused.FrameLocator("iframe").Locator("h1:text-is('Webhooks')").CountAsync());
    }

    [BrowserFact]
    public async Task AReadOnlyLinkShowsEverythingAndOffersNoAction()
    {
        var admin = await WithWebhookAsync("Read me", "read-me");
        var webhookUrl = admin.Url.Split('?')[0];
        var response = await f.System.PostAsJsonAsync("/api/v1/portal/links", new { workspaceId = f.Acme, readOnly = true });
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;

        var page = await f.NewPageAsync();
        await page.GotoAsync(url);
        await page.WaitForURLAsync("**/portal");
        Assert.Contains("Read only", await page.InnerTextAsync("header"));
        Assert.Contains("Read me", await page.InnerTextAsync("#webhooks"));
        Assert.Equal(0, await page.Locator("text=New webhook").CountAsync());
        await page.GotoAsync(webhookUrl);
        Assert.Contains("Deliveries", await TextAsync(page));
        foreach (var action in new[] { "a:text-is('Edit')", "#toggle", "#test", "#rotate", "#reveal", "#recover", "summary:text-is('Delete')", "form[method=post] button:not(.link)" })
            Assert.Equal(0, await page.Locator(action).CountAsync());
        Assert.Equal(403, (await page.GotoAsync(webhookUrl + "/edit"))!.Status);
    }

    [BrowserFact]
    public async Task AWebhooksDeliveryPolicyIsShownOnItsPageWhenItIsNotTheDefault()
    {
        var page = await WithWebhookAsync("Policed", "policed");
        Assert.Equal(0, await page.Locator("dd.policy").CountAsync());
        var id = page.Url.Split('?')[0].Split('/')[^1];
        var put = await f.Client(f.AcmeAdmin).PutAsync($"/api/v1/webhooks/{id}/policy", new StringContent(
            """{"maxPerSecond":20,"ordering":"fifo","timeoutSeconds":5,"retrySchedule":[0,30]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        await page.ReloadAsync();
        Assert.Equal("at most 20 a second · one at a time, in event order · timeout 5 s · retries after 0, 30 s",
            await page.InnerTextAsync("dd.policy"));
    }

    [BrowserFact]
    public async Task AnotherWorkspacesWebhookCannotBeReachedByEditingTheUrl()
    {
        var page = await AdminAsync();
        foreach (var path in new[] { $"/portal/webhooks/{f.OtherWebhook}", $"/portal/webhooks/{f.OtherWebhook}/edit" })
        {
            var response = await page.GotoAsync(path);
            Assert.Equal(404, response!.Status);
            Assert.Contains("There is no such page, or it belongs to another workspace.", await TextAsync(page));
            Assert.DoesNotContain("other's secret hook", await page.ContentAsync());
        }
        Assert.DoesNotContain("other's secret hook", await (await page.GotoAsync("/portal"))!.TextAsync());
    }

    [BrowserFact]
    public async Task EventDataAndReceiverAnswersAreShownAsTextAndRunNoScript()
    {
        const string hostile = "<script>alert('script')</script><img src=x onerror=alert('img')><a href=\"javascript:alert('link')\">click</a>";
        f.Receiver.Respond = async (r, http) =>
        {
            if (r.Path.EndsWith("/hostile", StringComparison.Ordinal)) http.Response.StatusCode = 500;
            await http.Response.WriteAsync(r.Path.EndsWith("/hostile", StringComparison.Ordinal) ? hostile : "ok");
        };
        var page = await WithWebhookAsync("<img src=x onerror=alert('name')>", "hostile");
        var alarms = new List<string>();
        page.Dialog += (_, d) => { alarms.Add($"dialog: {d.Message}"); _ = d.DismissAsync(); };
        page.Console += (_, m) => { if (m.Type is "error" or "warning") alarms.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => alarms.Add($"page error: {e}");
        await f.PublishAsync(f.Acme, new { name = hostile, link = "javascript:alert('entity')" });

        await Eventually.TrueAsync(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("#attempts tbody tr").CountAsync() >= 1;
        }, 30, "the hostile event's delivery listed");
        Assert.Equal("<img src=x onerror=alert('name')>", await page.InnerTextAsync("h1"));
        await page.Locator("#attempts tbody tr a").First.ClickAsync();
        Assert.Equal(hostile, await page.InnerTextAsync("#response-body"));
        Assert.Contains("javascript:alert", await page.InnerTextAsync("#request-body"));
        Assert.Equal(0, await page.Locator("main script, main img, main a[href^='javascript']").CountAsync());
        await page.GotoAsync("/portal");
        await page.GotoAsync("/portal/event-types");
        Assert.Empty(alarms);
    }

    [BrowserFact]
    public async Task AFormPostedWithoutItsAntiforgeryTokenIsRefusedAndChangesNothing()
    {
        var page = await WithWebhookAsync("Guarded", "guarded");
        var url = page.Url.Split('?')[0];
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("active", "false");
        var response = await page.Context.APIRequest.PostAsync($"{url}?handler=toggle", new() { Form = form });
        Assert.Equal(400, response.Status);
        Assert.Contains("The form could not be accepted", await response.TextAsync());
        await page.ReloadAsync();
        Assert.Equal("Active", await page.InnerTextAsync("#state .state"));
    }

    [BrowserFact]
    public async Task GermanReadersGetGermanAndEveryoneGetsTimesInTheirOwnZone()
    {
        var page = await AdminAsync(locale: "de-DE", timeZone: "Asia/Tokyo");
        Assert.Equal("Webhooks", await page.InnerTextAsync("h1"));
        Assert.Contains("Ereignistypen", await page.InnerTextAsync("header"));
        Assert.Equal("Neuer Webhook", await page.InnerTextAsync("a.button[href='/portal/webhooks/new']"));
        await page.ClickAsync("a.button[href='/portal/webhooks/new']");
        Assert.Equal("Neuer Webhook", await page.InnerTextAsync("h1"));

        await page.ClickAsync("header button:has-text('English')");
        Assert.Equal("New webhook", await page.InnerTextAsync("h1"));

        var webhook = await WithWebhookAsync("Zoned", "zoned");
        var time = webhook.Locator("dl.facts time").First;
        var utc = await time.GetAttributeAsync("datetime");
        var shown = await time.InnerTextAsync();
        var tokyo = await f.NewPageAsync(timeZone: "Asia/Tokyo");
        await tokyo.Context.AddCookiesAsync((await webhook.Context.CookiesAsync()).Select(c => new Microsoft.Playwright.Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        await tokyo.GotoAsync(webhook.Url);
        var there = await tokyo.Locator("dl.facts time").First.InnerTextAsync();
        var expected = DateTimeOffset.Parse(utc!).ToOffset(TimeSpan.FromHours(9)).ToString("h:mm:ss", System.Globalization.CultureInfo.InvariantCulture); // the portal is in English: 12-hour times
        Assert.Contains(expected, there);
        Assert.NotEqual(shown, there);
    }
}
