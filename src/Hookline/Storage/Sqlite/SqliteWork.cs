using SQLitePCL;

namespace Hookline.Storage.Sqlite;

/// <summary>
/// What this process has asked of its SQLite file, as SQLite's own hooks on each connection count it: statements run (each
/// statement of a command, BEGIN and COMMIT included), rows written (inserted, updated or deleted, indexes not counted) and
/// transactions committed. Per delivery, these say how much one node's single writer does for each, whatever the machine:
/// the measure to make smaller so that more cores mean more deliveries. In /metrics as <c>hookline_sqlite_*</c>.
/// </summary>
public sealed class SqliteWork
{
    private long _statements, _rowsWritten, _commits;

    public long Statements => Interlocked.Read(ref _statements);
    public long RowsWritten => Interlocked.Read(ref _rowsWritten);
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Counts what <paramref name="connection"/> runs from now on (once per native connection: a hook replaces the last).</summary>
    public void Watch(sqlite3 connection)
    {
        // The profile hook, called as each statement ends, with its text as written (utf8z: no string made of it). The trace
        // hook would do, but SQLite writes every bound value into the text it gives that one: a kilobyte's payload a statement.
        raw.sqlite3_profile(connection, new delegate_profile((_, _, _) => Interlocked.Increment(ref _statements)), null);
        raw.sqlite3_update_hook(connection, new delegate_update((_, _, _, _, _) => Interlocked.Increment(ref _rowsWritten)), null);
        raw.sqlite3_commit_hook(connection, _ =>
        {
            Interlocked.Increment(ref _commits);
            return 0; // go on committing
        }, null);
    }
}
