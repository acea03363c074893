using System.Net.Sockets;
using Hookline.Api;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hookline.Tests.Reliability;

/// <summary>Which database errors answer 503 (the environment's, passing) and which stay a 500 (a defect).</summary>
public sealed class StorageFailureTests
{
    [Theory]
    [InlineData(5, true)]       // SQLITE_BUSY
    [InlineData(8, true)]       // SQLITE_READONLY
    [InlineData(10, true)]      // SQLITE_IOERR
    [InlineData(13, true)]      // SQLITE_FULL
    [InlineData(14, true)]      // SQLITE_CANTOPEN
    [InlineData(10 | (4 << 8), true)] // SQLITE_IOERR_SHORT_READ, an extended code
    [InlineData(1, false)]      // SQLITE_ERROR: bad SQL is a defect
    [InlineData(11, false)]     // SQLITE_CORRUPT
    [InlineData(19, false)]     // SQLITE_CONSTRAINT
    public void SqliteErrorsOfTheDiskAndLocksAreUnavailable(int code, bool unavailable) =>
        Assert.Equal(unavailable, StorageFailure.IsUnavailable(new SqliteException("x", code)));

    [Fact]
    public void PostgresConnectionFailuresAreUnavailableAndWrappedOnesToo()
    {
        Assert.True(StorageFailure.IsUnavailable(new NpgsqlException("down", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(StorageFailure.IsUnavailable(new InvalidOperationException("wrapped", new NpgsqlException("down", new TimeoutException()))));
        Assert.False(StorageFailure.IsUnavailable(new NpgsqlException("bad")));
        Assert.False(StorageFailure.IsUnavailable(new InvalidOperationException("a defect")));
    }
}
