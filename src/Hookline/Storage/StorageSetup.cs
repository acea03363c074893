using Hookline.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hookline.Storage;

public static class StorageSetup
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SqliteDb>();
        services.AddSingleton<IDatabase, SqliteDatabase>();
        services.AddSingleton<ITokenStore, SqliteTokenStore>();
        services.AddSingleton<IWebhookStore, SqliteWebhookStore>();
        services.AddSingleton<IEventStore, SqliteEventStore>();
        services.AddSingleton<IDeliveryStore, SqliteDeliveryStore>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    private sealed class DatabaseHealthCheck(IDatabase database) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                return await database.PingAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The schema is not installed.");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("The database cannot be reached.", e);
            }
        }
    }
}
