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
            services.AddSingleton<SqlDb>(sp => sp.GetRequiredService<PostgresDb>());
            services.AddSingleton<IDatabase, PostgresDatabase>();
            services.AddSingleton<IRateWindowStore, PostgresRateWindowStore>();
            if (configuration.GetValue("Hookline:Node:Worker", true)) services.AddHostedService<PostgresWakeListener>();
        }
        else
        {
            services.AddSingleton<SqliteDb>();
            services.AddSingleton<SqlDb>(sp => sp.GetRequiredService<SqliteDb>());
            services.AddSingleton<IDatabase, SqliteDatabase>();
            services.AddHostedService<SqliteCheckpointer>();
        }
        services.AddSingleton<ITokenStore, TokenStore>();
        services.AddSingleton<IWebhookStore, WebhookStore>();
        services.AddSingleton<IEventStore, EventStore>();
        services.AddSingleton<IDeliveryStore, DeliveryStore>();
        services.AddSingleton<IPortalStore, PortalStore>();
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
