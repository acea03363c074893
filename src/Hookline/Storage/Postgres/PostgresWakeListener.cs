using Dapper;
using Npgsql;

namespace Hookline.Storage.Postgres;

/// <summary>
/// LISTENs for the NOTIFY that ingest sends on commit, so a worker on any other node starts on new deliveries at once.
/// Polling remains the backstop while the connection is down.
/// </summary>
public sealed class PostgresWakeListener(PostgresDb db, DeliverySignal signal, ILogger<PostgresWakeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // Its own connection, never pooled: a pooled one would go back to the pool still listening.
                await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false }.ConnectionString);
                await c.OpenAsync(stopping);
                c.Notification += (_, e) => { if (e.Payload != db.WakeTag) signal.Notify(); };
                await c.ExecuteAsync($"LISTEN {PostgresDb.WakeChannel};");
                signal.Notify(); // whatever arrived while we were not listening
                while (!stopping.IsCancellationRequested) await c.WaitAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for new deliveries failed; polling until it reconnects");
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
