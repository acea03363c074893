using Hookline.Auth;
using Hookline.Security;
using Hookline.Storage;

namespace Hookline.Cli;

public static class Startup
{
    /// <summary>Migrates the database and brings stored secrets up to date.</summary>
    public static async Task PrepareDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var migration = await services.GetRequiredService<IDatabase>().MigrateAsync(ct);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Hookline.Startup");
        if (migration.Applied.Count > 0) logger.LogInformation("Database migrated from schema version {From} to {To}", migration.From, migration.To);

        var time = services.GetRequiredService<TimeProvider>();
        var webhooks = services.GetRequiredService<IWebhookStore>();
        var protector = services.GetRequiredService<SecretProtector>();
        var secrets = await webhooks.AddMissingSecretsAsync(() => protector.Protect(Delivery.Signing.NewSecret()), time.GetUtcNow(), ct);
        if (secrets > 0) logger.LogInformation("Gave {Count} webhooks created before signing existed a signing secret", secrets);
        var encrypted = await webhooks.ProtectSecretsAsync(SecretProtector.Prefix, protector.Protect, ct);
        if (encrypted > 0) logger.LogInformation("Encrypted {Count} signing secrets and authentication values stored in plaintext by an older Hookline", encrypted);
        logger.LogInformation("Webhook secrets are encrypted at rest with the Data Protection key ring in {KeysPath}: keep it, and back it up apart from the database",
            SecretsSetup.KeysPath(services.GetRequiredService<IConfiguration>()));
    }

    /// <summary>On a database without tokens, creates workspace 'default' and an admin token, and prints the token once.</summary>
    public static async Task CreateFirstTokenAsync(this IServiceProvider services, CancellationToken ct = default)
    {
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
