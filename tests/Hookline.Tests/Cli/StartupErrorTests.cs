using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dapper;
using Hookline.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Hookline.Tests.Cli;

/// <summary>
/// Bad start-ups as a newcomer makes them, each run as the real process: it ends with exit code 2 within 10 s, at most
/// three lines on stderr that name the key or the cause, no stack trace anywhere, and no first-start token; the next good
/// start on the same files prints the token.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hookline-startup-").FullName;
    private string DbPath => Path.Combine(_folder, "hookline.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Hookline__Delivery__Timeout", "abc", "Hookline:Delivery:Timeout = 'abc' is not a duration" },
        { "Hookline__Delivery__AllowPrivateNetworks", "yes", "Hookline:Delivery:AllowPrivateNetworks = 'yes' is not true or false" },
        { "Hookline__Delivery__Concurrency", "lots", "Hookline:Delivery:Concurrency = 'lots' is not a whole number" },
        { "Hookline__Delivery__Concurrency", "0", "Hookline:Delivery:Concurrency = '0' is not valid" },
        { "Hookline__Delivery__Lease", "00:00:10", "Hookline:Delivery:Lease must be longer than Hookline:Delivery:Timeout" },
        { "Hookline__Delivery__PollInterval", "00:00:00", "Hookline:Delivery:PollInterval must be positive" },
        { "Hookline__Delivery__RetrySchedule__0", "-00:00:05", "Hookline:Delivery:RetrySchedule entries must not be negative" },
        { "Hookline__Delivery__PauseAfterConsecutiveFailures", "0", "Hookline:Delivery:PauseAfterConsecutiveFailures = '0' is not valid" },
        { "Hookline__Delivery__SlowAfter", "00:00:00", "Hookline:Delivery:SlowAfter must be positive" },
        { "Hookline__Delivery__SlowShare", "0", "Hookline:Delivery:SlowShare = '0' is not valid" },
        { "Hookline__RateLimits__PerSecond", "0", "Hookline:RateLimits:PerSecond = '0' is not valid" },
        { "Hookline__RateLimits__PerMinute", "1e9", "Hookline:RateLimits:PerMinute = '1e9' is not a whole number" },
        { "Hookline__Logging__Format", "xml", "Hookline:Logging:Format = 'xml' is not valid: use 'text'" },
        { "Hookline__Portal__FrameAncestors__0", "https://app.example.com/embed", "Hookline:Portal:FrameAncestors: 'https://app.example.com/embed' is not an origin" },
        { "Hookline__Portal__SessionLifetime", "00:00:10", "Hookline:Portal:SessionLifetime must be from 00:01:00 to 30.00:00:00" },
        { "Hookline__Database__Provider", "mysql", "Hookline:Database:Provider must be 'sqlite' or 'postgres', not 'mysql'" },
        { "Hookline__Database__Provider", "postgres", "Hookline:Database:ConnectionString is not a PostgreSQL connection string" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task ABadSettingEndsTheStartInAFewLinesNamingItAndTheNextGoodStartPrintsTheToken(string key, string value, string said)
    {
        await AssertRefusedAsync(new() { [key] = value }, said);
        await AssertTheNextGoodStartPrintsTheTokenAsync();
    }

    [Fact]
    public async Task APortInUseIsSaidAsSuch()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        await AssertRefusedAsync(new() { ["ASPNETCORE_URLS"] = url }, $"Hookline cannot listen on {url}: the port is in use by another process");
        await AssertTheNextGoodStartPrintsTheTokenAsync();
    }

    [Fact]
    public async Task AnUnreachablePostgreSqlIsSaidAsSuch() =>
        await AssertRefusedAsync(new()
        {
            ["Hookline__Database__Provider"] = "postgres",
            ["Hookline__Database__ConnectionString"] = $"Host=127.0.0.1;Port={ClosedPort()};Username=hookline;Database=hookline;Timeout=3",
        }, "Hookline cannot use PostgreSQL at 127.0.0.1:");

    [Fact]
    public async Task ADataFolderThatCannotBeWrittenIsSaidAsSuch() =>
        await AssertRefusedAsync(new() { ["Hookline__Database__ConnectionString"] = "/proc/hookline-cannot-write-here/h.db" },
            "Hookline cannot create or write its files (data folder '/proc/hookline-cannot-write-here')");

    [Fact]
    public async Task ADatabaseWrittenByANewerHooklineIsSaidAsSuch()
    {
        await using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
            await c.ExecuteAsync(
                """
                CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_on INTEGER NOT NULL);
                INSERT INTO schema_version VALUES (999, 'future', 0);
                """);
        await AssertRefusedAsync([], "The database is at schema version 999");
    }

    private Dictionary<string, string> Environment(Dictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Hookline__Database__ConnectionString"] = DbPath,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ClosedPort()}",
        };
        foreach (var (k, v) in settings) environment[k] = v;
        return environment;
    }

    private async Task AssertRefusedAsync(Dictionary<string, string> settings, string said)
    {
        var clock = Stopwatch.StartNew();
        var run = await HooklineProcess.RunAsync(Environment(settings));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(2, run.ExitCode);
        var errors = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(errors.Length, 1, 3);
        Assert.Contains(said, run.StdErr);
        Assert.DoesNotContain((run.StdOut + run.StdErr).Split('\n'), l => l.StartsWith("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain("hl_", run.StdOut + run.StdErr);
        Assert.DoesNotContain("first start", run.StdOut);
    }

    private async Task AssertTheNextGoodStartPrintsTheTokenAsync()
    {
        using var server = await HooklineServer.StartAsync(new Dictionary<string, string> { ["Hookline__Database__ConnectionString"] = DbPath });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Any(l => l.Trim().StartsWith("hl_", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Single(server.Output, l => l.Trim().StartsWith("hl_", StringComparison.Ordinal));
        await server.StopAsync();
    }

    /// <summary>A loopback port nothing listens on (taken and given back at once).</summary>
    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
