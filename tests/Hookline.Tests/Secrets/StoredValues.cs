using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Hookline.Tests.Support;

namespace Hookline.Tests.Secrets;

/// <summary>What a copy of the database holds: the raw SQLite files and the stored column values, on either store.</summary>
public sealed class StoredValues(HooklineFactory app)
{
    public const string Prefix = "dp1:";

    private DbConnection Open() => app.Postgres is null
        ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={app.Database.Path};Pooling=False")
        : new Npgsql.NpgsqlConnection(app.Postgres.ConnectionString);

    public async Task<List<string>> SecretsAsync()
    {
        await using var c = Open();
        return (await c.QueryAsync<string>("SELECT secret FROM webhook_secrets;")).AsList();
    }

    public async Task<List<string>> AuthenticationsAsync()
    {
        await using var c = Open();
        return (await c.QueryAsync<string>("SELECT authentication FROM webhooks WHERE authentication IS NOT NULL;")).AsList();
    }

    public async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var c = Open();
        await c.ExecuteAsync(sql, args);
    }

    /// <summary>The SQLite file and its WAL (and shared-memory index) as they are on disk now; empty on PostgreSQL.</summary>
    public IReadOnlyList<(string File, byte[] Bytes)> Files()
    {
        if (app.Postgres is not null) return [];
        return new[] { "", "-wal", "-shm" }.Select(s => app.Database.Path + s).Where(File.Exists)
            .Select(f => (f, ReadShared(f))).ToList();
    }

    /// <summary>Fails naming each plaintext found in a stored column or anywhere in the raw database files.</summary>
    public async Task AssertHoldsNoneOfAsync(IReadOnlyDictionary<string, string> plaintexts)
    {
        var values = (await SecretsAsync()).Concat(await AuthenticationsAsync()).ToList();
        Assert.NotEmpty(values);
        Assert.All(values, v => Assert.StartsWith(Prefix, v));
        var found = new List<string>();
        foreach (var (what, plain) in plaintexts)
        {
            if (values.Any(v => v.Contains(plain, StringComparison.Ordinal))) found.Add($"{what} in a column");
            foreach (var (file, bytes) in Files())
                if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(plain)) >= 0) found.Add($"{what} in {Path.GetFileName(file)}");
        }
        Assert.True(found.Count == 0, "Plaintext in the database: " + string.Join("; ", found));
        if (app.Postgres is null) Assert.NotEmpty(Files()); // the byte search searched something
    }

    private static byte[] ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    public static string RandomValue(string prefix) => prefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>A signing secret and its base64 key part, each a value that must not be found.</summary>
    public static IEnumerable<KeyValuePair<string, string>> SecretForms(string name, string secret) =>
        [new(name, secret), new($"{name} (base64 key)", secret["whsec_".Length..])];
}
