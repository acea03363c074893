using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;

namespace Hookline.Bench;

/// <summary>
/// What a C# team would build without Hookline: a Hangfire job per delivery, on Hangfire's SQLite (or PostgreSQL)
/// storage, each job POSTing with HttpClient. Given every advantage we could: 50 ms queue polling and 40 workers.
/// </summary>
public static class Baseline
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256 });

    public static async Task<double> RunAsync(BenchReceiver receiver, int jobs, Store.Place place, bool postgres)
    {
        var configuration = GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        if (postgres)
            configuration.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(place.Settings["Hookline__Database__ConnectionString"]),
                new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(50) });
        else
            configuration.UseSQLiteStorage(Path.Combine(place.Folder, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(50) });
        receiver.Reset(jobs);
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 40 });
        var url = receiver.Url + "/hangfire";
        var start = Payloads.Now();
        for (var i = 0; i < jobs; i++) BackgroundJob.Enqueue(() => PostAsync(url, Payloads.Delivery));
        await receiver.WaitForAsync(jobs, TimeSpan.FromMinutes(10));
        return jobs / Seconds(start, receiver.LastReceivedTicks);
    }

    public static async Task PostAsync(string url, string body)
    {
        using var response = await Http.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public static double Seconds(long from, long to) => (to - from) / (double)System.Diagnostics.Stopwatch.Frequency;
}
