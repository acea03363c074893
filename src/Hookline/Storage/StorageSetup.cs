using Hookline.Storage.Postgres;
using Hookline.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hookline.Storage;

public static class StorageSetup
{
    /// <summary>Registers the configured store: SQLite (embedded, one node) or PostgreSQL (several nodes).</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (options.IsPostgres)
        {
            services.AddSingleton<PostgresDb>();
            services.AddSingleton<IDatabase, PostgresDatabase>();
            services.AddSingleton<ITokenStore, PostgresTokenStore>();
            services.AddSingleton<IWebhookStore, PostgresWebhookStore>();
            services.AddSingleton<IEventStore, PostgresEventStore>();
            services.AddSingleton<IDeliveryStore, PostgresDeliveryStore>();
            services.AddSingleton<IRateWindowStore, PostgresRateWindowStore>();
            if (configuration.GetValue("Hookline:Node:Worker", true)) services.AddHostedService<PostgresWakeListener>();
        }
        else
        {
            services.AddSingleton<SqliteDb>();
            services.AddSingleton<IDatabase, SqliteDatabase>();
            services.AddSingleton<ITokenStore, SqliteTokenStore>();
            services.AddSingleton<IWebhookStore, SqliteWebhookStore>();
            services.AddSingleton<IEventStore, SqliteEventStore>();
            services.AddSingleton<IDeliveryStore, SqliteDeliveryStore>();
            services.AddHostedService<SqliteCheckpointer>();
        }
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
