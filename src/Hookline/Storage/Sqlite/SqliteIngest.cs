using Dapper;
using Microsoft.Data.Sqlite;

namespace Hookline.Storage.Sqlite;

public sealed partial class SqliteDialect
{
    /// <summary>Each request inside its own savepoint, so a failing one fails alone; two commands prepared once per request and the deliveries queued in one.</summary>
    public override async Task<IngestResult[]> IngestAsync(SqlWrite write, IReadOnlyList<IngestRequest> group)
    {
        var (c, tx) = ((SqliteConnection)write.Connection, (SqliteTransaction)write.Transaction);
        var results = new IngestResult[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            await c.ExecuteAsync("SAVEPOINT request;", transaction: tx);
            try
            {
                results[i] = await IngestOneAsync(c, tx, group[i]);
                await c.ExecuteAsync("RELEASE request;", transaction: tx);
            }
            catch (SqliteException e)
            {
                results[i] = new(null, e, 0);
                await c.ExecuteAsync("ROLLBACK TO request; RELEASE request;", transaction: tx);
            }
        }
        return results;
    }

    private async Task<IngestResult> IngestOneAsync(SqliteConnection c, SqliteTransaction tx, IngestRequest request)
    {
        if (request.Key is { } key && await EventStore.EarlierAnswerAsync(c, tx, key) is { } earlier) return new(earlier, null, 0);

        // Prepared once and bound per event: SQLite parses each statement once per request, not per event.
        await using var insertEvent = Prepared(c, tx, EventStore.InsertEvent);
        await using var fanOut = Prepared(c, tx, EventStore.FanOut(this));
        var ingested = new List<IngestedEvent>(request.Events.Count);
        var deliveries = 0;
        foreach (var e in request.Events)
        {
            foreach (var command in new[] { insertEvent, fanOut })
            {
                Bind(command, "@Id", SqlValues.Text(e.Id));
                Bind(command, "@WorkspaceId", SqlValues.Text(e.WorkspaceId));
                Bind(command, "@EventType", e.EventType);
                Bind(command, "@IsMain", e.IsMainEntityChange);
                Bind(command, "@CreatedOn", SqlValues.Millis(e.CreatedOn));
            }
            Bind(insertEvent, "@Payload", e.Payload);
            Bind(insertEvent, "@TraceParent", e.TraceParent);
            Bind(fanOut, "@MaxAttempts", request.MaxAttempts);
            Bind(fanOut, "@About", e.About is { } about ? SqlValues.Text(about) : null);
            await insertEvent.ExecuteNonQueryAsync();
            var queued = await fanOut.ExecuteNonQueryAsync();
            deliveries += queued;
            ingested.Add(new IngestedEvent(e.Id, queued));
        }
        // Queued together, in one statement: the one writer gave this request's deliveries the largest ids, one after another.
        if (deliveries > 0)
            await c.ExecuteAsync(
                """
                INSERT INTO delivery_queue (delivery_id, webhook_id, due_at)
                SELECT id, webhook_id, due_at FROM deliveries WHERE id > (SELECT MAX(id) FROM deliveries) - @deliveries;
                """, new { deliveries }, tx);
        var answer = request.Response(ingested);
        if (request.Key is { } k) await c.ExecuteAsync(EventStore.SaveKey, EventStore.KeyArgs(k, answer), tx);
        return new(new(IngestStatus.Accepted, answer), null, deliveries);
    }

    private static SqliteCommand Prepared(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static void Bind(SqliteCommand command, string name, object? value)
    {
        if (command.Parameters.Contains(name)) command.Parameters[name].Value = value ?? DBNull.Value;
        else if (command.CommandText.Contains(name, StringComparison.Ordinal)) command.Parameters.Add(new SqliteParameter(name, value ?? DBNull.Value));
    }
}
