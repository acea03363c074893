using Hookline.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Hookline.Tests.Secrets;

/// <summary>
/// Another Hookline on the database of a <see cref="HooklineFactory"/> (its SQLite file or PostgreSQL database), with a
/// key ring of the test's choosing: the same one (a restart, an upgrade) or an empty one (a node without the key ring).
/// </summary>
public sealed class SecondNode : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public SecondNode(HooklineFactory first, string keysPath, Dictionary<string, string?> settings)
    {
        _settings = new(settings)
        {
            ["Hookline:RateLimits:PerSecond"] = "1000000", ["Hookline:RateLimits:PerMinute"] = "60000000",
            ["Hookline:DataProtection:KeysPath"] = keysPath,
        };
        if (first.Postgres is { } pg)
        {
            _settings["Hookline:Database:Provider"] = "postgres";
            _settings["Hookline:Database:ConnectionString"] = pg.ConnectionString;
        }
        else _settings["Hookline:Database:ConnectionString"] = $"Data Source={first.Database.Path}";
    }

    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
    }
}
