using System.Net.Http.Headers;
using Hookline.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Support;

/// <summary>
/// Hookline in-process over its own real database, deleted afterwards: a SQLite file, or with
/// HOOKLINE_TEST_STORE=postgres (as ./test.sh's second pass sets) a fresh database on the test PostgreSQL server.
/// </summary>
public sealed class HooklineFactory : WebApplicationFactory<Program>
{
    public const string StoreVariable = "HOOKLINE_TEST_STORE";
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Changes to Hookline's services, applied after its own (e.g. a decorator around a store).</param>
    public HooklineFactory(Dictionary<string, string?>? settings = null, FakeTimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        Database = new TempDatabase();
        Time = time;
        _services = services;
        // Tests make many requests within one (fake) second: limits are high unless a test sets its own.
        _settings = new() { ["Hookline:RateLimits:PerSecond"] = "1000000", ["Hookline:RateLimits:PerMinute"] = "60000000" };
        foreach (var (key, value) in settings ?? []) _settings[key] = value;
        if (Environment.GetEnvironmentVariable(StoreVariable) == "postgres")
        {
            Postgres = new PostgresTestDatabase();
            _settings["Hookline:Database:Provider"] = "postgres";
            _settings["Hookline:Database:ConnectionString"] = Postgres.ConnectionString;
            // With SQLite the key ring lives next to the database file; give each PostgreSQL test its own too.
            _settings.TryAdd("Hookline:DataProtection:KeysPath", System.IO.Path.Combine(Database.Folder, "keys"));
        }
        else _settings["Hookline:Database:ConnectionString"] = $"Data Source={Database.Path}";
    }

    public TempDatabase Database { get; }
    public PostgresTestDatabase? Postgres { get; }

    /// <summary>Runs one query against whichever database this Hookline uses (plain SQL both understand).</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var c = Connection();
        return await Dapper.SqlMapper.ExecuteScalarAsync<T>(c, sql) ?? throw new InvalidOperationException("no value");
    }

    /// <summary>The rows of one query against whichever database this Hookline uses.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var c = Connection();
        return (await Dapper.SqlMapper.QueryAsync<T>(c, sql)).ToList();
    }

    private System.Data.Common.DbConnection Connection() => Postgres is null
        ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Database.Path}")
        : new Npgsql.NpgsqlConnection(Postgres.ConnectionString);
    public FakeTimeProvider? Time { get; }
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        // Everything, down to Trace, reaches the capture; the console keeps its usual level.
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
        if (Time is not null) builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Time));
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    /// <summary>
    /// Hands the host out once the first-start token exists: Hookline creates it only after it listens, so a test that counts
    /// tokens would otherwise race it. A store that cannot answer (the health tests break it on purpose) is not waited for.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        var tokens = host.Services.GetRequiredService<Hookline.Storage.ITokenStore>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        try
        {
            while (!tokens.AnyTokensAsync().GetAwaiter().GetResult() && DateTime.UtcNow < deadline) Thread.Sleep(10);
        }
        catch (Exception) { } // no store to wait for
        return host;
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A client holding a new token for <paramref name="workspace"/> (null: a system token).</summary>
    public async Task<HttpClient> ClientAsync(Guid? workspace, params string[] permissions)
    {
        var issued = await Service<TokenService>().CreateAsync(workspace, permissions, "test");
        return ClientWithToken(issued.Secret);
    }

    public Task<HttpClient> AdminAsync(Guid workspace) => ClientAsync(workspace, Permissions.Admin);

    public HttpClient ClientWithToken(string? token)
    {
        var client = CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Database.Dispose();
        Postgres?.Dispose();
    }
}

/// <summary>A SQLite file in a fresh temporary folder.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("hookline-test-").FullName;
        Path = System.IO.Path.Combine(Folder, "hookline.db");
    }

    public string Folder { get; }
    public string Path { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } // a pooled handle may outlive the test
    }
}
