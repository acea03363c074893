using System.ComponentModel.DataAnnotations;

namespace Hookline.Storage;

public sealed class DatabaseOptions
{
    public const string Section = "Hookline:Database";

    /// <summary><c>sqlite</c> (default, embedded) or <c>postgres</c>.</summary>
    [Required, RegularExpression("^(?i:sqlite)$", ErrorMessage = "Hookline:Database:Provider must be 'sqlite' (PostgreSQL support is not built yet).")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>For SQLite a connection string or a plain file path; relative paths are relative to the working directory.</summary>
    [Required]
    public string ConnectionString { get; set; } = "Data Source=data/hookline.db";
}
