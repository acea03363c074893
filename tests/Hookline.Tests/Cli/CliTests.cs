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
    [InlineData("tokens", "create", "--workspace", "not-a-uuid", "--permissions", "admin")]
    [InlineData("tokens", "create", "--permissions", "root")]
    [InlineData("tokens", "create", "--workspace")]
    [InlineData("tokens", "create")]
    [InlineData("tokens", "revoke", "not-a-uuid")]
    [InlineData("tokens", "frobnicate")]
    public async Task BadArgumentsFailWithAMessageAndCreateNothing(params string[] args)
    {
        var result = await HooklineProcess.RunAsync(Env, args);
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(result.StdErr));
        Assert.DoesNotContain("Unhandled exception", result.StdErr);
        var listed = await HooklineProcess.RunAsync(Env, "tokens", "list");
        Assert.DoesNotContain("hl_", listed.StdOut);
        Assert.Single(listed.StdOut.Trim().Split('\n')); // the header line only
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
