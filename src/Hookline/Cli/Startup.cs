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

        if (await services.GetRequiredService<ITokenStore>().AnyTokensAsync(ct)) return;
        if (await services.GetRequiredService<TokenService>().CreateFirstAdminAsync(ct) is not { } first) return; // another node did
        var (workspace, issued) = first;
        // Printed, not logged: the token is shown once, to the operator at the console, and never reaches log sinks.
        Console.WriteLine($"""

            Hookline first start: created workspace 'default' ({workspace.Id}) and an admin token.
            Keep the token now; it is stored only as a hash and cannot be shown again:

                {issued.Secret}

            """);
    }
}
