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

    private StoreSet(IDisposable database, IDisposable? source, SqlDb db, IDatabase schema, ITokenStore tokens, IWebhookStore webhooks,
        IEventStore events, IDeliveryStore deliveries)
    {
        (_database, _source, Db, Schema, Tokens, Webhooks, Events, Deliveries) = (database, source, db, schema, tokens, webhooks, events, deliveries);
    }

    /// <summary>The database itself, for tests that must put it in a state no store call makes, or read what no store shows.</summary>
    public SqlDb Db { get; }

    /// <summary>Runs raw SQL on the database.</summary>
    public async Task Execute(string sql)
    {
        await using var c = await Db.OpenAsync();
        await Dapper.SqlMapper.ExecuteAsync(c, sql);
    }

    /// <summary>Reads one value.</summary>
    public async Task<T?> Scalar<T>(string sql)
    {
        await using var c = await Db.OpenAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<T>(c, sql);
    }

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
        return new(file, null, db, new SqliteDatabase(db, time), new TokenStore(db, time), new WebhookStore(db, time),
            new EventStore(db), new DeliveryStore(db));
    }

    public static StoreSet Postgres()
    {
        var database = new PostgresTestDatabase();
        var db = new PostgresDb(Options.Create(new DatabaseOptions { Provider = "postgres", ConnectionString = database.ConnectionString }));
        var time = TimeProvider.System;
        return new(database, db, db, new PostgresDatabase(db, time), new TokenStore(db, time), new WebhookStore(db, time),
            new EventStore(db), new DeliveryStore(db));
    }

    public void Dispose()
    {
        _source?.Dispose();
        _database.Dispose();
    }
}
