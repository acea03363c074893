using Npgsql;

namespace Hookline.Tests.Support;

/// <summary>A fresh database on the throwaway PostgreSQL server that ./test.sh starts; dropped afterwards.</summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public const string ServerVariable = "HOOKLINE_TEST_POSTGRES";

    public PostgresTestDatabase()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable)
            ?? throw new InvalidOperationException(
                $"{ServerVariable} is not set. Run ./test.sh, which starts a throwaway PostgreSQL for these tests, " +
                "or set it to a server's connection string (the tests create and drop their own databases).");
        Name = $"hookline_test_{Guid.NewGuid():N}";
        AdminConnectionString = server;
        using (var c = new NpgsqlConnection(server))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {Name};", c);
            cmd.ExecuteNonQuery();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = Name }.ConnectionString;
    }

    public string Name { get; }
    public string AdminConnectionString { get; }
    public string ConnectionString { get; }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var c = new NpgsqlConnection(AdminConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE);", c);
        cmd.ExecuteNonQuery();
    }
}
