using System.Net.Http.Headers;
using Hookline.Auth;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hookline.Tests.Reliability;

/// <summary>Hookline in-process on a SQLite file the test places itself (on a mount it controls), with its logs captured.</summary>
public sealed class DiskHookline(string databasePath, Dictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Hookline:RateLimits:PerSecond", "1000000");
        builder.UseSetting("Hookline:RateLimits:PerMinute", "60000000");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseSetting("Hookline:Database:Provider", "sqlite");
        builder.UseSetting("Hookline:Database:ConnectionString", $"Data Source={databasePath}");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
    }

    public async Task<HttpClient> ClientAsync(Guid workspace, params string[] permissions)
    {
        var issued = await Services.GetRequiredService<TokenService>().CreateAsync(workspace, permissions, "test");
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.Secret);
        return client;
    }
}
