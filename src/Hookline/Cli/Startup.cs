using Hookline.Auth;
using Hookline.Storage;

namespace Hookline.Cli;

public static class Startup
{
    /// <summary>Migrates the database and, on a database without tokens, creates workspace 'default' and an admin token.</summary>
    public static async Task PrepareDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var migration = await services.GetRequiredService<IDatabase>().MigrateAsync(ct);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Hookline.Startup");
        if (migration.Applied.Count > 0) logger.LogInformation("Database migrated from schema version {From} to {To}", migration.From, migration.To);

        var time = services.GetRequiredService<TimeProvider>();
        var secrets = await services.GetRequiredService<IWebhookStore>().AddMissingSecretsAsync(Delivery.Signing.NewSecret, time.GetUtcNow(), ct);
        if (secrets > 0) logger.LogInformation("Gave {Count} webhooks created before signing existed a signing secret", secrets);

        var store = services.GetRequiredService<ITokenStore>();
        if (await store.AnyTokensAsync(ct)) return;
        var workspace = await store.EnsureWorkspaceAsync(Guid.NewGuid(), "default", ct);
        var issued = await services.GetRequiredService<TokenService>()
            .CreateAsync(workspace.Id, [Permissions.Admin, Permissions.EventsPublish], "first-start admin", ct);
        // Printed, not logged: the token is shown once, to the operator at the console, and never reaches log sinks.
        Console.WriteLine($"""

            Hookline first start: created workspace 'default' ({workspace.Id}) and an admin token.
            Keep the token now; it is stored only as a hash and cannot be shown again:

                {issued.Secret}

            """);
    }
}
