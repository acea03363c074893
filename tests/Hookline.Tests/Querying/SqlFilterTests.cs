using Dapper;
using Hookline.Api.Querying;
using Hookline.Storage.Querying;
using Hookline.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Hookline.Tests.Querying;

public sealed class SqlFilterTests : IDisposable
{
    private static readonly QueryField Id = new("id", FieldType.Number);
    private static readonly QueryField Name = new("name", FieldType.String);
    private static readonly QueryField Note = new("note", FieldType.String, Nullable: true);
    private static readonly QueryField Amount = new("amount", FieldType.Number);
    private static readonly QueryField Rating = new("rating", FieldType.Number, Nullable: true);
    private static readonly QueryField IsDone = new("isDone", FieldType.Boolean);
    private static readonly QueryField OwnerId = new("ownerId", FieldType.Guid, Nullable: true);
    private static readonly QueryField CreatedOn = new("createdOn", FieldType.DateTime);
    private static readonly QueryFields Fields = new(Id, Name, Note, Amount, Rating, IsDone, OwnerId, CreatedOn);

    private static readonly Dictionary<string, string> Columns = new()
    {
        ["id"] = "id", ["name"] = "name", ["note"] = "note", ["amount"] = "amount", ["rating"] = "rating",
        ["isDone"] = "is_done", ["ownerId"] = "owner_id", ["createdOn"] = "created_on",
    };

    private const string G1 = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private const string G2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    private static readonly SqliteDialect Dialect = new();
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"hookline-sqlfilter-{Guid.NewGuid():N}.db");
    private readonly SqliteConnection _connection;

    public SqlFilterTests()
    {
        _connection = new SqliteConnection($"Data Source={_path};Pooling=False");
        _connection.Open();
        _connection.Execute("""
            CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT NULL, amount REAL NOT NULL,
                            rating REAL NULL, is_done INTEGER NOT NULL, owner_id TEXT NULL, created_on INTEGER NOT NULL)
            """);
        Insert(1, "Alpha", "100% sure", 10m, 4.5m, true, G1, "2024-01-01T00:00:00Z");
        Insert(2, "beta_test", null, -5.5m, null, false, null, "2024-02-15T12:30:00Z");
        Insert(3, "Gamma's", "a_b", 0m, 3m, false, G2, "2023-12-31T23:59:59Z");
        Insert(4, "100%", "back\\slash", 1_000_000m, null, true, G1, "2025-06-01T08:00:00+02:00");
        Insert(5, "alphabet", "aXb", 2.25m, 5m, false, null, "2024-01-01T00:00:00.001Z");
        Insert(6, "betaXtest", "ALPHA", 10m, 1m, true, G2, "2020-01-01T00:00:00Z");
    }

    public void Dispose()
    {
        _connection.Dispose();
        File.Delete(_path);
    }

    private void Insert(int id, string name, string? note, decimal amount, decimal? rating, bool done, string? owner, string created)
    {
        object? Param(object? value) => value is null ? null : Dialect.ToParameter(value);
        _connection.Execute(
            "INSERT INTO t VALUES (@id, @name, @note, @amount, @rating, @done, @owner, @created)",
            new
            {
                id, name, note, amount = Param(amount), rating = Param(rating), done = Param(done),
                owner = Param(owner is null ? null : Guid.Parse(owner)),
                created = Param(DateTimeOffset.Parse(created, System.Globalization.CultureInfo.InvariantCulture)),
            });
    }

    private static string Column(QueryField field) => Columns[field.Name];

    private int[] Ids(string filter, string? orderby = null)
    {
        Assert.True(FilterParser.TryParse(filter, Fields, out var node, out var error), error);
        Assert.True(OrderParser.TryParse(orderby, Fields, out var terms, out error), error);
        var parameters = new Dictionary<string, object?>();
        var sql = $"SELECT id FROM t WHERE {SqlFilter.Where(node, Column, Dialect, parameters)} " +
                  $"ORDER BY {SqlFilter.OrderBy(terms, Column, "id ASC")}";
        return [.. _connection.Query<long>(sql, parameters).Select(id => (int)id)];
    }

    [Theory]
    [InlineData("name eq 'Alpha'", new[] { 1 })]
    [InlineData("name eq 'alpha'", new int[0])]
    [InlineData("name ne 'Alpha'", new[] { 2, 3, 4, 5, 6 })]
    [InlineData("name eq 'Gamma''s'", new[] { 3 })]
    [InlineData("name gt 'b'", new[] { 2, 6 })]
    public void String_comparisons_are_exact_and_case_sensitive(string filter, int[] expected) =>
        Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("amount eq 10", new[] { 1, 6 })]
    [InlineData("amount eq 10M", new[] { 1, 6 })]
    [InlineData("amount ne 10", new[] { 2, 3, 4, 5 })]
    [InlineData("amount gt 2.25", new[] { 1, 4, 6 })]
    [InlineData("amount ge 2.25", new[] { 1, 4, 5, 6 })]
    [InlineData("amount lt 0", new[] { 2 })]
    [InlineData("amount le 0", new[] { 2, 3 })]
    [InlineData("amount eq -5.5", new[] { 2 })]
    [InlineData("amount gt 1e5", new[] { 4 })]
    public void Number_comparisons_match(string filter, int[] expected) => Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("rating eq null", new[] { 2, 4 })]
    [InlineData("rating ne null", new[] { 1, 3, 5, 6 })]
    [InlineData("rating ne 3", new[] { 1, 2, 4, 5, 6 })]
    [InlineData("rating lt 4", new[] { 3, 6 })]
    [InlineData("not (rating lt 4)", new[] { 1, 2, 4, 5 })]
    [InlineData("not (rating eq 3)", new[] { 1, 2, 4, 5, 6 })]
    [InlineData("note eq null", new[] { 2 })]
    [InlineData("note ne 'ALPHA'", new[] { 1, 2, 3, 4, 5 })]
    public void Null_handling_treats_null_as_a_distinct_value(string filter, int[] expected) =>
        Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("isDone eq true", new[] { 1, 4, 6 })]
    [InlineData("isDone eq false", new[] { 2, 3, 5 })]
    [InlineData("isDone ne true", new[] { 2, 3, 5 })]
    public void Boolean_comparisons_match(string filter, int[] expected) => Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("ownerId eq guid'" + G1 + "'", new[] { 1, 4 })]
    [InlineData("ownerId eq guid'0F8FAD5B-D9CB-469F-A165-70867728950E'", new[] { 1, 4 })]
    [InlineData("ownerId eq '" + G2 + "'", new[] { 3, 6 })]
    [InlineData("ownerId ne guid'" + G1 + "'", new[] { 2, 3, 5, 6 })]
    [InlineData("ownerId eq null", new[] { 2, 5 })]
    public void Guid_comparisons_match_regardless_of_literal_casing(string filter, int[] expected) =>
        Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("createdOn eq datetime'2024-01-01T00:00'", new[] { 1 })]
    [InlineData("createdOn gt datetime'2024-01-01T00:00:00Z'", new[] { 2, 4, 5 })]
    [InlineData("createdOn lt datetime'2024-01-01T01:00+01:00'", new[] { 3, 6 })]
    [InlineData("createdOn ge '2024-01-01T00:00:00.001Z'", new[] { 2, 4, 5 })]
    [InlineData("createdOn lt datetime'2024-01-01'", new[] { 3, 6 })]
    [InlineData("createdOn eq datetime'2025-06-01T06:00Z'", new[] { 4 })]
    public void Date_comparisons_use_utc_instants(string filter, int[] expected) => Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("startswith(name,'al')", new[] { 1, 5 })]
    [InlineData("endswith(name,'S')", new[] { 3 })]
    [InlineData("endswith(name,'%')", new[] { 4 })]
    [InlineData("substringof('0%',name)", new[] { 4 })]
    [InlineData("substringof('%', note)", new[] { 1 })]
    [InlineData("substringof('_', name)", new[] { 2 })]
    [InlineData("startswith(name,'beta_')", new[] { 2 })]
    [InlineData("substringof('a_b', note)", new[] { 3 })]
    [InlineData("substringof('\\', note)", new[] { 4 })]
    [InlineData("substringof('''', name)", new[] { 3 })]
    [InlineData("substringof('alpha', note) eq false", new[] { 1, 2, 3, 4, 5 })]
    [InlineData("not startswith(name,'a')", new[] { 2, 3, 4, 6 })]
    public void Text_functions_are_case_insensitive_and_match_wildcards_literally(string filter, int[] expected) =>
        Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("isDone eq true and (amount gt 100 or rating eq null)", new[] { 4 })]
    [InlineData("name eq 'Alpha' or name eq 'alphabet' and amount gt 100", new[] { 1 })]
    [InlineData("(name eq 'Alpha' or name eq 'alphabet') and amount lt 100", new[] { 1, 5 })]
    [InlineData("not (isDone eq true or ownerId eq null)", new[] { 3 })]
    public void Combined_filters_respect_precedence(string filter, int[] expected) => Assert.Equal(expected, Ids(filter));

    [Theory]
    [InlineData("amount ge 0", "amount desc, name", new[] { 4, 1, 6, 5, 3 })]
    [InlineData("id gt 0", "isDone desc,createdOn", new[] { 6, 1, 4, 3, 5, 2 })]
    [InlineData("id gt 0", "rating desc", new[] { 5, 1, 3, 6, 2, 4 })]
    public void Order_by_terms_apply_before_the_fallback(string filter, string orderby, int[] expected) =>
        Assert.Equal(expected, Ids(filter, orderby));

    [Fact]
    public void Generated_sql_is_fully_parenthesised_and_parameterised()
    {
        Assert.True(FilterParser.TryParse("not (name eq 'a' or rating ne 3) and note eq null", Fields, out var node, out var error), error);
        var parameters = new Dictionary<string, object?>();
        Assert.Equal("((NOT ((name = @f0) OR (rating IS NULL OR rating <> @f1))) AND (note IS NULL))",
            SqlFilter.Where(node, Column, Dialect, parameters));
        Assert.Equal(new Dictionary<string, object?> { ["@f0"] = "a", ["@f1"] = 3d }, parameters);
    }

    [Fact]
    public void Text_function_patterns_are_escaped_and_passed_as_parameters()
    {
        Assert.True(FilterParser.TryParse("substringof('5%_\\x', note)", Fields, out var node, out var error), error);
        var parameters = new Dictionary<string, object?>();
        Assert.Equal("(note IS NOT NULL AND note LIKE @f0 ESCAPE '\\')", SqlFilter.Where(node, Column, Dialect, parameters));
        Assert.Equal("%5\\%\\_\\\\x%", parameters["@f0"]);
    }

    [Fact]
    public void Parameter_numbering_continues_after_existing_parameters_without_collisions()
    {
        Assert.True(FilterParser.TryParse("amount gt 1 and amount lt 9", Fields, out var node, out var error), error);
        var parameters = new Dictionary<string, object?> { ["limit"] = 10, ["@f1"] = "taken" };
        Assert.Equal("((amount > @f2) AND (amount < @f3))", SqlFilter.Where(node, Column, Dialect, parameters));
        Assert.Equal(["limit", "@f1", "@f2", "@f3"], parameters.Keys);
    }

    [Fact]
    public void Parameters_bind_by_name_with_plain_ado_net()
    {
        Assert.True(FilterParser.TryParse("startswith(name,'be') and amount lt 0", Fields, out var node, out var error), error);
        var parameters = new Dictionary<string, object?>();
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT id FROM t WHERE {SqlFilter.Where(node, Column, Dialect, parameters)}";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        Assert.Equal(2L, command.ExecuteScalar());
    }

    [Fact]
    public void Order_by_without_terms_is_just_the_fallback()
    {
        Assert.Equal("id ASC", SqlFilter.OrderBy([], Column, "id ASC"));
        Assert.Equal("name DESC, created_on ASC, id ASC",
            SqlFilter.OrderBy([new OrderTerm(Name, true), new OrderTerm(CreatedOn, false)], Column, "id ASC"));
    }

    [Theory]
    [InlineData("name eq 'x'' OR 1=1 --'")]
    [InlineData("name eq ''' OR ''1''=''1'")]
    [InlineData("substringof(''') OR 1=1 --', name)")]
    [InlineData("name eq 'a''; DROP TABLE t; --'")]
    public void Injection_attempts_stay_inside_parameter_values(string filter)
    {
        Assert.Empty(Ids(filter));
        Assert.Equal(6L, _connection.ExecuteScalar<long>("SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public void Injection_attempt_outside_a_string_is_a_parse_error_and_the_table_is_intact()
    {
        Assert.False(FilterParser.TryParse("name eq 'a'; DROP TABLE t; --'", Fields, out _, out var error));
        Assert.Contains("Unexpected character ';'", error);
        Assert.Equal(6L, _connection.ExecuteScalar<long>("SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public void Every_parsable_random_filter_runs_against_sqlite()
    {
        var executed = 0;
        foreach (var text in FilterParserTests.RandomFilters(seed: 7, count: 3000))
        {
            if (FilterParser.TryParse(text, Fields, out var node, out _))
            {
                var parameters = new Dictionary<string, object?>();
                _connection.Query<long>($"SELECT id FROM t WHERE {SqlFilter.Where(node, Column, Dialect, parameters)}", parameters);
                executed++;
            }
        }
        Assert.True(executed > 0);
        Assert.Equal(6L, _connection.ExecuteScalar<long>("SELECT COUNT(*) FROM t"));
    }

    /// <summary>Guid as lowercase text, instants as unix milliseconds, bool as 0/1, decimal as REAL.</summary>
    private sealed class SqliteDialect : ISqlDialect
    {
        public object ToParameter(object value) => value switch
        {
            Guid guid => guid.ToString("D"),
            DateTimeOffset instant => instant.ToUnixTimeMilliseconds(),
            bool flag => flag ? 1L : 0L,
            decimal number => (double)number,
            _ => value,
        };

        public string Like(string column, string parameter) => $"{column} LIKE {parameter} ESCAPE '\\'";
        public string ByCodePoint(string column) => column;
    }
}
