using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hookline.Tests.Support;
using Microsoft.Playwright;

namespace Hookline.Tests.Portal;

/// <summary>
/// Whether the browser tests run: they need Chromium (Debian's chromium, which ./test.sh installs); Playwright drives it
/// through ExecutablePath and never downloads a browser.
/// </summary>
public static class Browser
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("HOOKLINE_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    public static string? SkipReason => File.Exists(ExecutablePath) ? null
        : $"needs Chromium at {ExecutablePath}: run ./test.sh (it installs Debian's chromium), or set HOOKLINE_TEST_CHROMIUM";
}

public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute() => Skip = Browser.SkipReason;
}

public sealed class SqlitePortalFixture() : PortalFixture(postgres: false);

public sealed class PostgresPortalFixture() : PortalFixture(postgres: true);

/// <summary>
/// Hookline as a real process on a loopback port (its own SQLite file or PostgreSQL database), a receiver on 127.0.0.1, two
/// workspaces with their tokens (made with the CLI, as an operator does), a system token that publishes and issues portal
/// links, and headless Chromium. Each test opens its own browser context, so cookies never cross tests.
/// </summary>
public abstract class PortalFixture(bool postgres) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hookline-portal-").FullName;
    private PostgresTestDatabase? _database;
    private HooklineServer? _server;
    private IPlaywright? _playwright;

    public bool Postgres => postgres;
    public Receiver Receiver { get; private set; } = null!;
    public IBrowser Chromium { get; private set; } = null!;
    public string Url => _server!.Url;
    public string KeysPath => Path.Combine(_folder, "keys");
    public Dictionary<string, string> Environment { get; } = new();

    /// <summary>Workspace "acme": an admin token, and a token that may only read.</summary>
    public Guid Acme { get; private set; }
    public string AcmeAdmin { get; private set; } = "";
    public string AcmeReader { get; private set; } = "";
    /// <summary>Workspace "other", with a webhook named "other's secret hook".</summary>
    public Guid Other { get; private set; }
    public Guid OtherWebhook { get; private set; }
    /// <summary>A system token: events:publish and portal:issue.</summary>
    public HttpClient System { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if ((Postgres ? Browser.SkipReason ?? PostgresTests.SkipReason : Browser.SkipReason) is not null) return;
        Receiver = await Receiver.StartAsync();
        if (Postgres)
        {
            _database = new PostgresTestDatabase();
            Environment["Hookline__Database__Provider"] = "postgres";
            Environment["Hookline__Database__ConnectionString"] = _database.ConnectionString;
        }
        else Environment["Hookline__Database__ConnectionString"] = Path.Combine(_folder, "hookline.db");
        Environment["Hookline__DataProtection__KeysPath"] = KeysPath;
        // "Another site" that embeds the portal: the receiver's own port, by name (localhost and 127.0.0.1 are different sites).
        Environment["Hookline__Portal__FrameAncestors__0"] = EmbeddingSite;
        Environment["Hookline__Delivery__AllowPrivateNetworks"] = "true";
        Environment["Hookline__Delivery__RetrySchedule__0"] = "00:00:00.200";
        Environment["Hookline__Delivery__MaxAttempts"] = "2";
        Environment["Hookline__Delivery__PollInterval"] = "00:00:00.500";
        _server = await HooklineServer.StartAsync(Environment);

        (Acme, Other) = (Guid.NewGuid(), Guid.NewGuid());
        AcmeAdmin = await TokenAsync("--workspace", Acme.ToString(), "--permissions", "admin");
        AcmeReader = await TokenAsync("--workspace", Acme.ToString(), "--permissions", "workspace-manage-config:read");
        var otherAdmin = await TokenAsync("--workspace", Other.ToString(), "--permissions", "admin");
        System = Client(await TokenAsync("--permissions", "events:publish,portal:issue"));
        OtherWebhook = (await Client(otherAdmin).CreateWebhookAsync(Json.Form(name: "other's secret hook", uri: $"{Receiver.Url}/other"))).Id;

        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Browser.ExecutablePath, Headless = true,
            // Chromium must not reach out: this machine has no network beyond loopback.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        // A fresh process compiles its pages' code at first use (optimised at once, on two cores busy with the other suites):
        // sign in once here, with time to spare, so that no test's first page waits for that.
        var warm = await NewPageAsync();
        warm.SetDefaultTimeout(120_000);
        await warm.GotoAsync("/portal/signin");
        await warm.FillAsync("#token", AcmeAdmin);
        await warm.ClickAsync("button[type=submit]");
        await warm.WaitForURLAsync("**/portal");
        await warm.GotoAsync("/portal/event-types");
        await warm.Context.CloseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_playwright is null) return;
        await Chromium.DisposeAsync();
        _playwright.Dispose();
        _server?.Dispose();
        await Receiver.DisposeAsync();
        _database?.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>The origin allowed to frame the portal: the receiver, reached as localhost (Hookline is at 127.0.0.1).</summary>
    public string EmbeddingSite => $"http://localhost:{new Uri(Receiver.Url).Port}";

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A fresh browser context (no cookies), in <paramref name="locale"/> and <paramref name="timeZone"/>.</summary>
    public async Task<IPage> NewPageAsync(string locale = "en-GB", string timeZone = "UTC")
    {
        var context = await Chromium.NewContextAsync(new() { Locale = locale, TimezoneId = timeZone, BaseURL = Url });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000); // Playwright's own default; 15 s was missed under the whole suite's load in CI
        return page;
    }

    public async Task<IPage> SignedInAsync(string token, string locale = "en-GB", string timeZone = "UTC")
    {
        var page = await NewPageAsync(locale, timeZone);
        await page.GotoAsync("/portal/signin");
        await page.FillAsync("#token", token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/portal");
        return page;
    }

    /// <summary>Publishes an event for the workspace through the API, as the producing product does.</summary>
    public async Task PublishAsync(Guid workspace, object entity, string eventType = "task_added")
    {
        var response = await System.PostAsJsonAsync("/api/v1/events", new
        {
            workspaceId = workspace, eventType, entityId = Guid.NewGuid().ToString(), entityType = "task", entity,
            triggeredBy = new { firstName = "Carla", lastName = "Creative" },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<string> TokenAsync(params string[] args)
    {
        var created = await HooklineProcess.RunAsync(Environment, ["tokens", "create", .. args]);
        Assert.True(created.ExitCode == 0, created.StdErr);
        return created.LastLine;
    }

    /// <summary>Where the screenshots of the portal go: docs/portal/ of the repository the tests were built from.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hookline.slnx"))) dir = dir.Parent;
            return Directory.CreateDirectory(Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "docs", "portal")).FullName;
        }
    }
}
