using System.Text.Json;
using Hookline.Tests.Support;

namespace Hookline.Tests.Api;

/// <summary>The console log of the real process: lines for people by default, one JSON object per line when asked.</summary>
public sealed class LoggingFormatTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private async Task<List<string>> LogOfAStartAsync(string? format)
    {
        var environment = new Dictionary<string, string>
        {
            ["Hookline__Database__ConnectionString"] = _database.Path, ["Logging__LogLevel__Default"] = "Information",
        };
        if (format is not null) environment["Hookline__Logging__Format"] = format;
        using var server = await HooklineServer.StartAsync(environment);
        await server.StopAsync();
        return server.Output.Where(l => l.Length > 0).ToList();
    }

    [Fact]
    public async Task JsonFormatWritesEachLogEntryAsOneJsonObjectAndNoSecret()
    {
        var lines = await LogOfAStartAsync("json");
        var token = Assert.Single(lines, l => l.Trim().StartsWith("hl_", StringComparison.Ordinal)).Trim(); // printed, not logged
        var entries = lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Contains(entries, e => e.GetProperty("Message").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal));
        Assert.All(entries, e =>
        {
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e.GetProperty("Timestamp").GetString());
            Assert.True(e.TryGetProperty("LogLevel", out _) && e.TryGetProperty("Category", out _));
        });
        Assert.DoesNotContain(lines, l => l.StartsWith("info:", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.GetRawText().Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheDefaultStaysReadableLines()
    {
        var lines = await LogOfAStartAsync(null);
        Assert.Contains(lines, l => l.StartsWith("info: Microsoft.Hosting.Lifetime", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith('{'));
    }
}
