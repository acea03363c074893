using Hookline.Auth;
using Hookline.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Hookline.Tests.Secrets;

/// <summary>
/// A whole life cycle with every log category at Trace, in process (every logger) and in a child process (its console),
/// and not one token, token hash, signing secret, authentication value or Slack URL path in what was logged.
/// </summary>
public sealed class SecretLogTests : IAsyncLifetime
{
    private static readonly (string, string?)[] Settings =
    [
        ("Hookline:Slack:Hosts:0", "localhost"), ("Hookline:Slack:MinInterval", "00:00:00.050"),
        ("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace"), ("Logging:Console:LogLevel:Default", "Trace"),
    ];
    private readonly Guid _workspace = Guid.NewGuid();
    private Receiver _custom = null!;
    private Receiver _slack = null!;

    public async Task InitializeAsync()
    {
        _custom = await Receiver.StartAsync();
        _slack = await Receiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _custom.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task NoSecretReachesAnyLoggerInProcess()
    {
        using var app = new HooklineFactory(TestEvents.FastDelivery(Settings));
        var tokens = app.Services.GetRequiredService<TokenService>();
        var cli = await HooklineProcess.RunAsync(Environment(app.Postgres?.ConnectionString, app.Database.Path, null),
            "tokens", "create", "--workspace", _workspace.ToString(), "--permissions", "admin", "--name", "ops");
        Assert.Equal(0, cli.ExitCode);
        var publisher = (await tokens.CreateAsync(_workspace, [Permissions.EventsPublish], "publisher")).Secret;
        var other = (await tokens.CreateAsync(Guid.NewGuid(), [Permissions.Admin], "other")).Secret;

        var life = new LifeCycle(t => LifeCycle.WithToken(app.CreateClient(), t), _custom, _slack);
        await life.RunAsync(cli.LastLine, publisher, other);

        var lines = app.Logs.Lines.Concat(Printed(cli)).ToList();
        AssertLoggedMuchAndLeakedNothing(life, lines, "Trace Microsoft.AspNetCore", "Debug Hookline.Auth.BearerTokenHandler", "Information Hookline.");
    }

    [Fact]
    public async Task NoSecretReachesTheConsoleOfAChildProcess()
    {
        using var file = new TempDatabase();
        using var pg = System.Environment.GetEnvironmentVariable(HooklineFactory.StoreVariable) == "postgres" ? new PostgresTestDatabase() : null;
        var env = Environment(pg?.ConnectionString, file.Path, Path.Combine(file.Folder, "keys"));
        var printed = new List<string>();
        async Task<string> TokenAsync(Guid workspace, string permissions)
        {
            var cli = await HooklineProcess.RunAsync(env, "tokens", "create", "--workspace", workspace.ToString(), "--permissions", permissions);
            Assert.Equal(0, cli.ExitCode);
            printed.AddRange(Printed(cli));
            return cli.LastLine;
        }
        var (admin, publisher, other) = (await TokenAsync(_workspace, "admin"), await TokenAsync(_workspace, "events:publish"),
            await TokenAsync(Guid.NewGuid(), "admin"));

        var server = await HooklineServer.StartAsync(env);
        try
        {
            var life = new LifeCycle(t => LifeCycle.WithToken(new HttpClient { BaseAddress = new Uri(server.Url) }, t), _custom, _slack);
            await life.RunAsync(admin, publisher, other);
            await server.StopAsync(); // SIGTERM: the console logger writes out what it still holds
            AssertLoggedMuchAndLeakedNothing(life, server.Output.Concat(printed).ToList(), "trce: Microsoft.AspNetCore", "dbug: Hookline.", "info: Hookline.");
        }
        finally
        {
            server.Dispose();
        }
    }

    private static void AssertLoggedMuchAndLeakedNothing(LifeCycle life, List<string> lines, params string[] expected)
    {
        // The capture really saw the detailed categories, so that an empty result means something.
        foreach (var e in expected) Assert.Contains(lines, l => l.Contains(e, StringComparison.Ordinal));
        Assert.True(lines.Count > 300, $"only {lines.Count} log lines");
        var leaks = life.Leaks(lines);
        Assert.True(leaks.Count == 0, $"{leaks.Count} secrets in {lines.Count} log lines:\n" + string.Join("\n", leaks.Take(20)));
        // And the search itself finds what it looks for.
        Assert.All(life.Secrets, s => Assert.NotEmpty(life.Leaks([$"dbug: Some.Category[0] value {s.Value}."])));
    }

    /// <summary>What the CLI printed, less its last line: the new token, printed there on purpose, once.</summary>
    private static IEnumerable<string> Printed(HooklineProcess.Output cli) =>
        cli.StdOut.TrimEnd().Split('\n').SkipLast(1).Concat(cli.StdErr.Split('\n'));

    private static Dictionary<string, string> Environment(string? postgres, string sqlitePath, string? keysPath)
    {
        var env = TestEvents.FastDelivery(Settings).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        if (postgres is not null)
        {
            env["Hookline__Database__Provider"] = "postgres";
            env["Hookline__Database__ConnectionString"] = postgres;
        }
        else env["Hookline__Database__ConnectionString"] = sqlitePath;
        if (keysPath is not null) env["Hookline__DataProtection__KeysPath"] = keysPath;
        return env;
    }
}
