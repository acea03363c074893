using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hookline.Api;

/// <summary>Which database failures are the environment's (disk, mount, server, locks) rather than a defect: they answer 503.</summary>
public static class StorageFailure
{
    // SQLite primary result codes BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN; CORRUPT (11) is no passing state and stays a 500.
    private static readonly int[] SqliteUnavailable = [5, 6, 7, 8, 10, 13, 14];

    public static bool IsUnavailable(Exception? e) => e switch
    {
        null => false,
        SqliteException s => SqliteUnavailable.Contains(s.SqliteErrorCode & 0xFF),
        // IsTransient: the connection failed or timed out, or the server said so (disk full 53100, too many connections, shutting down).
        NpgsqlException n => n.IsTransient || n is PostgresException { SqlState: "25006" }, // read-only transaction (standby, read-only mode)
        _ => IsUnavailable(e.InnerException),
    };
}
