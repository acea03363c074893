namespace Hookline.Tests.Support;

/// <summary>
/// Whether the tests that need PostgreSQL run: they do when ./test.sh (or the caller) names a server in
/// HOOKLINE_TEST_POSTGRES; a plain <c>dotnet test</c> without one skips them and says how to run them.
/// </summary>
public static class PostgresTests
{
    public const string NotConfigured =
        "needs PostgreSQL: run ./test.sh, or set HOOKLINE_TEST_POSTGRES to a server connection string";

    /// <summary>
    /// Null when the tests should run. HOOKLINE_TEST_STORE=postgres asks for PostgreSQL outright, so without a server
    /// they run and fail loudly: a pass that was meant to test PostgreSQL must never come back green by skipping it.
    /// </summary>
    public static string? SkipReason =>
        Environment.GetEnvironmentVariable(PostgresTestDatabase.ServerVariable) is not null
        || Environment.GetEnvironmentVariable(HooklineFactory.StoreVariable) == "postgres"
            ? null
            : NotConfigured;
}

/// <summary>A fact that needs the PostgreSQL server: skipped, with a reason, when none is configured.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = PostgresTests.SkipReason;
}
