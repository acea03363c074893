using Hookline.Storage;
using Hookline.Storage.Postgres;
using Hookline.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Hookline.Tests.Support;

/// <summary>Every store of one implementation over one fresh database, for the shared store contract suite.</summary>
public sealed class StoreSet : IDisposable
{
    private readonly IDisposable _database;
    private readonly IDisposable? _source;

    private StoreSet(IDisposable database, IDisposable? source, IDatabase schema, ITokenStore tokens, IWebhookStore webhooks,
        IEventStore events, IDeliveryStore deliveries, Func<string, Task> execute)
    {
        (_database, _source, Schema, Tokens, Webhooks, Events, Deliveries, Execute) =
            (database, source, schema, tokens, webhooks, events, deliveries, execute);
    }

    /// <summary>Runs raw SQL on the database, for tests that must put it in a state no store call makes.</summary>
    public Func<string, Task> Execute { get; }

    public IDatabase Schema { get; }
    public ITokenStore Tokens { get; }
    public IWebhookStore Webhooks { get; }
    public IEventStore Events { get; }
    public IDeliveryStore Deliveries { get; }

    public static StoreSet Sqlite()
    {
        var file = new TempDatabase();
        var db = new SqliteDb(Options.Create(new DatabaseOptions { ConnectionString = file.Path }));
        var time = TimeProvider.System;
        return new(file, null, new SqliteDatabase(db, time), new TokenStore(db, time), new WebhookStore(db, time),
            new EventStore(db), new DeliveryStore(db), async sql =>
            {
                await using var c = await db.OpenAsync();
                await Dapper.SqlMapper.ExecuteAsync(c, sql);
            });
    }

    public static StoreSet Postgres()
    {
        var database = new PostgresTestDatabase();
        var db = new PostgresDb(Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = database.ConnectionString }));
        var time = TimeProvider.System;
        return new(database, db, new PostgresDatabase(db, time), new TokenStore(db, time), new WebhookStore(db, time),
            new EventStore(db), new DeliveryStore(db), async sql =>
            {
                await using var c = await db.OpenAsync();
                await Dapper.SqlMapper.ExecuteAsync(c, sql);
            });
    }

    public void Dispose()
    {
        _source?.Dispose();
        _database.Dispose();
    }
}
