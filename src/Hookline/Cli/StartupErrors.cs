using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Hookline.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hookline.Cli;

/// <summary>
/// What stops a start, said in a line or two on stderr with exit code 2 instead of a stack trace: the configuration key,
/// the value given and what is expected; a port in use; a database that cannot be reached, opened or is too new.
/// </summary>
public static partial class StartupErrors
{
    public const int ExitCode = 2;

    /// <summary>The lines to print for a failure an operator can fix, or null for anything else (a bug: let it crash loudly).</summary>
    public static string? Describe(Exception e, IConfiguration configuration) => e switch
    {
        OptionsValidationException v => string.Join('\n', v.Failures.Take(3).Select(f => Failure(v.OptionsType, f, configuration))),
        InvalidOperationException b when BindingFailure().Match(b.Message) is { Success: true } m =>
            $"{m.Groups["key"].Value} = '{configuration[m.Groups["key"].Value]}' is not {Expected(m.Groups["type"].Value)}.",
        DatabaseTooNewException t => t.Message,
        IOException io when io.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
            || io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
            $"Hookline cannot listen on {Urls(configuration)}: the port is in use by another process.\n" +
            "Stop that process, or give Hookline another address, e.g. ASPNETCORE_URLS=http://localhost:5081.",
        NpgsqlException or SocketException when Postgres(configuration) is { } server =>
            $"Hookline cannot use PostgreSQL at {server}: {Innermost(e).Message}\n" +
            "Check that the server runs and Hookline:Database:ConnectionString points at it.",
        SqliteException { SqliteErrorCode: 14 } or UnauthorizedAccessException or IOException =>
            $"Hookline cannot create or write its files (data folder '{DataFolder(configuration)}'): {Innermost(e).Message}\n" +
            "Make that folder writable for this user, or point Hookline:Database:ConnectionString at a writable file.",
        _ when e.InnerException is { } inner => Describe(inner, configuration),
        _ => null,
    };

    [GeneratedRegex(@"^Failed to convert configuration value (?:'.*' )?at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BindingFailure();

    // DataAnnotations: "DataAnnotation validation failed for 'RateLimitOptions' members: 'PerSecond' with the error: '…'."
    [GeneratedRegex(@"members: '(?<member>[^']*)' with the error: '(?<error>.*)'\.$")]
    private static partial Regex AnnotationFailure();

    private static string Failure(Type options, string failure, IConfiguration configuration)
    {
        if (AnnotationFailure().Match(failure) is not { Success: true } m) return failure;
        if (m.Groups["member"].Value.Length == 0) return m.Groups["error"].Value; // our own Validate names its keys
        var section = options.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
        var key = section is null ? m.Groups["member"].Value : $"{section}:{m.Groups["member"].Value}";
        return $"{key} = '{configuration[key]}' is not valid: {m.Groups["error"].Value}";
    }

    private static string Expected(string type) => type switch
    {
        "System.TimeSpan" or "System.Nullable`1[System.TimeSpan]" => "a duration (hh:mm:ss, e.g. 00:00:30)",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        "System.Int32" or "System.Int64" => "a whole number (e.g. 60)",
        _ => $"a valid {type}",
    };

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private static string Urls(IConfiguration configuration) => configuration["urls"] is { Length: > 0 } urls ? urls : "http://localhost:5080";

    private static DatabaseOptions Database(IConfiguration configuration) =>
        configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();

    /// <summary>Host and port; the connection string parses, since settings are validated before anything connects.</summary>
    private static string? Postgres(IConfiguration configuration)
    {
        if (Database(configuration) is not { IsPostgres: true } options) return null;
        var server = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        return $"{server.Host}:{server.Port}";
    }

    private static string DataFolder(IConfiguration configuration)
    {
        var options = Database(configuration);
        if (options.IsPostgres) return "data";
        var cs = options.EffectiveConnectionString;
        var path = cs.Contains('=') ? new SqliteConnectionStringBuilder(cs).DataSource : cs;
        return Path.GetDirectoryName(Path.GetFullPath(path)) ?? path;
    }
}
