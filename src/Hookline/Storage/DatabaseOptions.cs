using System.ComponentModel.DataAnnotations;

namespace Hookline.Storage;

public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Hookline:Database";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c> (for several nodes).</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>
    /// For SQLite a connection string or a plain file path, relative to the working directory (default
    /// <c>data/hookline.db</c>); for PostgreSQL an Npgsql connection string (required).
    /// </summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    public string EffectiveConnectionString => ConnectionString ?? "Data Source=data/hookline.db";

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (!string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase) && !IsPostgres)
            yield return new($"Hookline:Database:Provider must be '{Sqlite}' or '{Postgres}', not '{Provider}'.");
        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
            yield return new("Hookline:Database:ConnectionString is required with the postgres provider, e.g. Host=db;Username=hookline;Password=…;Database=hookline.");
        else if (IsPostgres && NotPostgres(ConnectionString!) is { } why) // the value is not echoed: it may hold a password
            yield return new($"Hookline:Database:ConnectionString is not a PostgreSQL connection string ({why}), e.g. Host=db;Username=hookline;Password=…;Database=hookline.");
    }

    private static string? NotPostgres(string connectionString)
    {
        try { _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString); return null; }
        catch (ArgumentException e) { return e.Message.TrimEnd('.'); }
    }
}
