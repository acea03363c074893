using Hookline.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace Hookline.Security;

public static class SecretsSetup
{
    public const string Section = "Hookline:DataProtection";
    /// <summary>One name for every node, so that nodes sharing a key ring directory read each other's ciphertext whatever their paths.</summary>
    public const string ApplicationName = "Hookline";

    /// <summary>
    /// Data Protection with its key ring in a directory of our own: <c>Hookline:DataProtection:KeysPath</c>, by default
    /// <c>keys/</c> next to the SQLite file (<c>data/keys</c>), or <c>data/keys</c> in the working directory with PostgreSQL.
    /// </summary>
    public static IServiceCollection AddSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        var keys = KeysPath(configuration);
        services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToFileSystem(new DirectoryInfo(keys));
        services.AddSingleton<SecretProtector>();
        return services;
    }

    public static string KeysPath(IConfiguration configuration)
    {
        if (configuration[$"{Section}:KeysPath"] is { Length: > 0 } configured) return Path.GetFullPath(configured);
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var text = database.EffectiveConnectionString;
        var file = database.IsPostgres ? null : new SqliteConnectionStringBuilder(text.Contains('=') ? text : $"Data Source={text}").DataSource;
        return file is { Length: > 0 } && file != ":memory:" && !file.StartsWith("file:", StringComparison.Ordinal)
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "keys")
            : Path.GetFullPath(Path.Combine("data", "keys"));
    }
}
