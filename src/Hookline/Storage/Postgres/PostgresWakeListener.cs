using System.Diagnostics;
using Dapper;
using Npgsql;

namespace Hookline.Storage.Postgres;

/// <summary>
/// LISTENs for the NOTIFY that ingest sends on commit, so a worker on any other node starts on new deliveries at once.
/// Polling remains the backstop while the connection is down. Once a second it also looks whether any other node listens
/// (<see cref="PostgresDb.OthersListen"/>): a node alone sends no NOTIFY.
/// </summary>
public sealed class PostgresWakeListener(PostgresDb db, DeliverySignal signal, ILogger<PostgresWakeListener> logger) : BackgroundService
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // Its own connection, never pooled: a pooled one would go back to the pool still listening. Named, so that the
                // other nodes see that this one listens.
                var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false, ApplicationName = db.ListenerName };
                await using var c = new NpgsqlConnection(settings.ConnectionString);
                await c.OpenAsync(stopping);
                c.Notification += (_, e) => { if (e.Payload != db.WakeTag) signal.Notify(); };
                await c.ExecuteAsync($"LISTEN {PostgresDb.WakeChannel};");
                signal.Notify(); // whatever arrived while we were not listening
                long? looked = null;
                while (!stopping.IsCancellationRequested)
                {
                    if (looked is null || Stopwatch.GetElapsedTime(looked.Value) >= LookEvery)
                    {
                        db.OthersListen = await c.ExecuteScalarAsync<long>(PostgresDb.OtherListeners, new { Mine = db.ListenerName }) > 0;
                        looked = Stopwatch.GetTimestamp();
                    }
                    // Until the next look, or a notification. In whole milliseconds, at least one: 0 means no time-out at all.
                    var left = Math.Ceiling((LookEvery - Stopwatch.GetElapsedTime(looked.Value)).TotalMilliseconds);
                    await c.WaitAsync((int)Math.Clamp(left, 1, LookEvery.TotalMilliseconds), stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
            catch (Exception e)
            {
                db.OthersListen = true; // not knowing, as at the start
                logger.LogWarning(e, "Listening for new deliveries failed; polling until it reconnects");
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
