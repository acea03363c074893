using System.Net;
using Hookline.Tests.Support;

namespace Hookline.Tests.Cli;

/// <summary>The operator's commands, run as real processes on a real SQLite file, then used against the API.</summary>
public sealed class CliTests : IDisposable
{
    private readonly HooklineFactory _app = new();
    private Dictionary<string, string> Env => new() { ["Hookline__Database__ConnectionString"] = _app.Database.Path };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task TokensCreatePrintsAWorkingTokenAsTheLastLineAndListAndRevokeManageIt()
    {
        _ = _app.Server; // start Hookline on the file first, as an operator would
        var workspace = Guid.NewGuid();

        var created = await HooklineProcess.RunAsync(Env, "tokens", "create", "--workspace", workspace.ToString(),
            "--permissions", "workspace-manage-config:read,workspace-manage-config:write", "--name", "ci bot");
        Assert.Equal(0, created.ExitCode);
        var token = created.LastLine;
        Assert.Matches("^hl_[A-Za-z0-9_-]{43}$", token);

        var client = _app.ClientWithToken(token);
        await client.CreateWebhookAsync();
        Assert.Single(await client.ListAsync<Hookline.Webhooks.WebhookConfig>("/api/v1/webhooks"));

        var listed = await HooklineProcess.RunAsync(Env, "tokens", "list");
        Assert.Equal(0, listed.ExitCode);
        var row = listed.StdOut.Split('\n').Single(l => l.Contains("ci bot"));
        Assert.Contains(workspace.ToString(), row);
        Assert.Contains("active", row);
        Assert.DoesNotContain(token, listed.StdOut);

        var id = row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var revoked = await HooklineProcess.RunAsync(Env, "tokens", "revoke", id);
        Assert.Equal(0, revoked.ExitCode);
        // Revoked in another process: the running node remembers tokens for up to a second (CachedTokenStore).
        var refusedBy = DateTime.UtcNow + Hookline.Auth.CachedTokenStore.Lifetime + TimeSpan.FromSeconds(1);
        HttpStatusCode status;
        while ((status = (await client.GetAsync("/api/v1/webhooks")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < refusedBy)
            await Task.Delay(50);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task ASystemTokenHasNoWorkspace()
    {
        var created = await HooklineProcess.RunAsync(Env, "tokens", "create", "--permissions", "events:publish");
        Assert.Equal(0, created.ExitCode);
        Assert.Contains("the system (no workspace)", created.StdOut);
        var response = await _app.ClientWithToken(created.LastLine).GetAsync("/api/v1/webhooks/eventtypes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(1, "--workspace: '5c0e…' is neither a workspace id", "tokens", "create", "--workspace", "5c0e…", "--permissions", "admin")]
    [InlineData(2, "--permissions: there is no permission 'root'", "tokens", "create", "--permissions", "root")]
    [InlineData(2, "--workspace needs a value", "tokens", "create", "--workspace")]
    [InlineData(2, "--workspace needs a value", "tokens", "create", "--workspace", "--permissions", "admin")]
    [InlineData(2, "there is no option '--workspaces'", "tokens", "create", "--workspaces", "default", "--permissions", "admin")]
    [InlineData(2, "--permissions is required", "tokens", "create")]
    [InlineData(2, "'not-a-uuid' is not a token id", "tokens", "revoke", "not-a-uuid")]
    [InlineData(2, "'<token' is not a token id", "tokens", "revoke", "<token", "id>")]
    [InlineData(2, "which token?", "tokens", "revoke")]
    [InlineData(1, "there is no token", "tokens", "revoke", "0f8e0f37-6f2a-4a5e-9a57-5b1d2b0c3d4e")]
    [InlineData(2, "there is no command 'tokens frobnicate'", "tokens", "frobnicate")]
    [InlineData(2, "'--all' is not an argument this command takes", "tokens", "list", "--all")]
    [InlineData(2, "--workspace is required", "portal-link")]
    [InlineData(2, "--minutes: 'soon' is not a whole number from 1 to 10,080", "portal-link", "--workspace", "default", "--minutes", "soon")]
    [InlineData(2, "--minutes: '0' is not a whole number from 1 to 10,080", "portal-link", "--workspace", "default", "--minutes", "0")]
    [InlineData(2, "there is no option '--readonly'", "portal-link", "--workspace", "default", "--readonly")]
    [InlineData(1, "--workspace: there is no workspace 0f8e0f37-6f2a-4a5e-9a57-5b1d2b0c3d4e", "portal-link", "--workspace", "0f8e0f37-6f2a-4a5e-9a57-5b1d2b0c3d4e")]
    [InlineData(1, "'portal:issue' is for system tokens", "tokens", "create", "--workspace", "0f8e0f37-6f2a-4a5e-9a57-5b1d2b0c3d4e", "--permissions", "portal:issue")]
    public async Task BadArgumentsNameWhatIsWrongAndCreateNothing(int exitCode, string said, params string[] args)
    {
        var result = await HooklineProcess.RunAsync(Env, args);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(said, result.StdErr);
        Assert.True(result.StdErr.Trim().Split('\n').Length <= 3, result.StdErr);
        Assert.DoesNotContain("   at ", result.StdErr);
        var listed = await HooklineProcess.RunAsync(Env, "tokens", "list");
        Assert.DoesNotContain("hl_", listed.StdOut);
        Assert.Single(listed.StdOut.Trim().Split('\n')); // the header line only
    }

    [Fact]
    public async Task AWorkspaceIsFoundByNameAndAnUnknownNameListsTheWorkspacesThereAre()
    {
        _ = _app.Server; // the first start creates workspace 'default'
        var workspace = (await _app.Service<Hookline.Storage.ITokenStore>().ListWorkspacesAsync()).Single();

        var created = await HooklineProcess.RunAsync(Env, "tokens", "create", "--workspace", "default", "--permissions", "admin");
        Assert.Equal(0, created.ExitCode);
        Assert.Contains($"for workspace 'default' ({workspace.Id})", created.StdOut);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _app.ClientWithToken(created.LastLine).GetAsync("/api/v1/webhooks")).StatusCode);

        var unknown = await HooklineProcess.RunAsync(Env, "tokens", "create", "--workspace", "defualt", "--permissions", "admin");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains($"Workspaces: 'default' ({workspace.Id})", unknown.StdErr);
    }

    [Fact]
    public async Task PortalLinkPrintsALinkAsTheLastLineThatOpensTheWorkspaceOnce()
    {
        _ = _app.Server; // the first start creates workspace 'default'
        var result = await HooklineProcess.RunAsync(Env, "portal-link", "--workspace", "default", "--minutes", "5", "--read-only");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("A read-only portal link for workspace 'default'", result.StdOut);
        var url = new Uri(result.LastLine);
        Assert.Equal("http://localhost:5080/portal/enter", url.GetLeftPart(UriPartial.Path));

        var browser = _app.CreateClient(new() { AllowAutoRedirect = false });
        var opened = await browser.GetAsync(url.PathAndQuery);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal("/portal", opened.Headers.Location!.OriginalString);
        Assert.Contains(opened.Headers.GetValues("Set-Cookie"), c => c.StartsWith("hookline_portal=", StringComparison.Ordinal) && c.Contains("httponly"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await browser.GetAsync(url.PathAndQuery)).StatusCode); // once
    }

    [Fact]
    public async Task RevokingTwiceIsRefusedTheSecondTimeAndChangesNothing()
    {
        await HooklineProcess.RunAsync(Env, "tokens", "create", "--permissions", "events:publish", "--name", "once");
        var id = (await HooklineProcess.RunAsync(Env, "tokens", "list")).StdOut.Split('\n').Single(l => l.Contains("once")).Split(' ')[0];

        var first = await HooklineProcess.RunAsync(Env, "tokens", "revoke", id);
        Assert.Equal((0, $"Revoked token {id} ('once')."), (first.ExitCode, first.StdOut.Trim()));
        var revokedOn = await _app.ScalarAsync<object>($"SELECT revoked_on FROM api_tokens WHERE id = '{id}';");

        var second = await HooklineProcess.RunAsync(Env, "tokens", "revoke", id);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"token {id} ('once') was already revoked on ", second.StdErr);
        Assert.Equal("", second.StdOut);
        Assert.Equal(revokedOn, await _app.ScalarAsync<object>($"SELECT revoked_on FROM api_tokens WHERE id = '{id}';"));
    }

    [Fact]
    public async Task TokensListLinesUpItsColumnsWhateverTheirWidth()
    {
        await HooklineProcess.RunAsync(Env, "tokens", "create", "--permissions", "events:publish", "--name", "a");
        await HooklineProcess.RunAsync(Env, "tokens", "create", "--workspace", Guid.NewGuid().ToString(), "--name",
            "a much longer name than the header", "--permissions", "admin,workspace-manage-config:read,workspace-manage-config:write");

        var lines = (await HooklineProcess.RunAsync(Env, "tokens", "list")).StdOut.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        foreach (var header in new[] { "workspace", "name", "permissions", "created (UTC)", "last used (UTC)", "status" })
        {
            var column = lines[0].IndexOf(header, StringComparison.Ordinal);
            Assert.All(lines.Skip(1), line => Assert.True(line[(column - 2)..column] == "  " && line[column] != ' ', $"{header}: {line}"));
        }
    }

    [Theory]
    [InlineData("Usage: hookline tokens create [--workspace <id or name>]", "tokens", "create", "--help")]
    [InlineData("Usage: hookline tokens list", "tokens", "list", "--help")]
    [InlineData("Usage: hookline tokens revoke <token id>", "tokens", "revoke", "--help")]
    [InlineData("Usage: hookline migrate", "migrate", "-h")]
    [InlineData("Usage: hookline portal-link --workspace <id or name>", "portal-link", "--help")]
    [InlineData("  hookline tokens revoke <token id>", "--help")]
    public async Task EveryCommandHasHelpThatTouchesNoDatabase(string said, params string[] args)
    {
        var result = await HooklineProcess.RunAsync(Env, args);
        Assert.Equal((0, ""), (result.ExitCode, result.StdErr));
        Assert.Contains(said, result.StdOut);
        Assert.False(File.Exists(_app.Database.Path));
    }

    [Fact]
    public async Task MigrateReportsWhatItDidAndThenThatNothingIsLeft()
    {
        var first = await HooklineProcess.RunAsync(Env, "migrate");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Migrated from schema version 0", first.StdOut);
        var second = await HooklineProcess.RunAsync(Env, "migrate");
        Assert.Contains("up to date", second.StdOut);
    }
}
