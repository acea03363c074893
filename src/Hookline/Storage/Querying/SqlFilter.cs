using System.Text;

namespace Hookline.Storage.Querying;

/// <summary>How a database stores query values and matches text case-insensitively.</summary>
public interface ISqlDialect
{
    /// <summary>Converts a non-null filter value (string, decimal, bool, Guid, UTC DateTimeOffset) to its stored representation.</summary>
    object ToParameter(object value);

    /// <summary>A case-insensitive LIKE of <paramref name="column"/> against <paramref name="parameter"/> using ESCAPE '\'.</summary>
    string Like(string column, string parameter);

    /// <summary><paramref name="column"/> as text that orders by code point, whatever the database's collation.</summary>
    string ByCodePoint(string column);
}

/// <summary>
/// Translates a parsed filter into a parameterised SQL predicate. User text only ever reaches SQL as parameter values;
/// column names come from the caller's trusted mapping.
/// </summary>
public static class SqlFilter
{
    public static string Where(
        FilterNode node,
        Func<QueryField, string> column,
        ISqlDialect dialect,
        IDictionary<string, object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(parameters);
        return Translate(node, column, dialect, parameters);
    }

    public static string OrderBy(IReadOnlyList<OrderTerm> terms, Func<QueryField, string> column, string fallback)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(column);
        var parts = terms.Select(t => $"{column(t.Field)} {(t.Descending ? "DESC" : "ASC")}").ToList();
        if (!string.IsNullOrWhiteSpace(fallback))
        {
            parts.Add(fallback);
        }
        return string.Join(", ", parts);
    }

    private static string Translate(FilterNode node, Func<QueryField, string> column, ISqlDialect dialect, IDictionary<string, object?> parameters)
    {
        string Recurse(FilterNode inner) => Translate(inner, column, dialect, parameters);
        return node switch
        {
            And and => $"({Recurse(and.Left)} AND {Recurse(and.Right)})",
            Or or => $"({Recurse(or.Left)} OR {Recurse(or.Right)})",
            Not not => $"(NOT {Recurse(not.Inner)})",
            Comparison comparison => Compare(comparison, column(comparison.Field), dialect, parameters),
            TextFunction text => Match(text, column(text.Field), dialect, parameters),
            _ => throw new ArgumentException($"Unsupported filter node {node.GetType().Name}.", nameof(node)),
        };
    }

    private static string Compare(Comparison comparison, string column, ISqlDialect dialect, IDictionary<string, object?> parameters)
    {
        var (field, op, value) = comparison;
        if (value is null)
        {
            return op switch
            {
                CompareOp.Eq => $"({column} IS NULL)",
                CompareOp.Ne => $"({column} IS NOT NULL)",
                _ => throw new ArgumentException($"null cannot be compared with {op}.", nameof(comparison)),
            };
        }
        if (Neighbours(field.Type, value) is var (below, above))
        {
            return op switch
            {
                CompareOp.Eq => NotNull(field, column, "1 = 0"),
                CompareOp.Ne => "(1 = 1)",
                CompareOp.Gt or CompareOp.Ge => NotNull(field, column, above is null ? "1 = 0" : $"{column} >= {Add(parameters, dialect.ToParameter(above))}"),
                _ => NotNull(field, column, below is null ? "1 = 0" : $"{column} <= {Add(parameters, dialect.ToParameter(below))}"),
            };
        }
        var parameter = Add(parameters, dialect.ToParameter(field.Type == FieldType.Integer ? (long)(decimal)value : value));
        if (op == CompareOp.Ne)
        {
            return field.Nullable ? $"({column} IS NULL OR {column} <> {parameter})" : $"({column} <> {parameter})";
        }
        var sqlOp = op switch
        {
            CompareOp.Eq => "=",
            CompareOp.Gt => ">",
            CompareOp.Ge => ">=",
            CompareOp.Lt => "<",
            _ => "<=",
        };
        var compared = field.Type == FieldType.String && op != CompareOp.Eq ? dialect.ByCodePoint(column) : column;
        return NotNull(field, column, $"{compared} {sqlOp} {parameter}");
    }

    /// <summary>
    /// For a literal that no stored value can equal — a fraction or a number beyond 64 bits for a whole-number field, a time
    /// between two milliseconds — the nearest values a row can hold below and above it (null: there is none); null when the
    /// literal is exact. Comparing with those keeps results exact and the same on both stores, where binding the literal would
    /// let SQLite round it (to a double, to its millisecond) and PostgreSQL not.
    /// </summary>
    private static (object? Below, object? Above)? Neighbours(FieldType type, object value)
    {
        switch (type, value)
        {
            case (FieldType.Integer, decimal d) when d != decimal.Truncate(d) || d < long.MinValue || d > long.MaxValue:
                return (d < long.MinValue ? null : (long)Math.Min(decimal.Floor(d), long.MaxValue),
                        d > long.MaxValue ? null : (long)Math.Max(decimal.Ceiling(d), long.MinValue));
            case (FieldType.DateTime, DateTimeOffset t) when t.UtcTicks % TimeSpan.TicksPerMillisecond is > 0 and var extra:
                var below = new DateTimeOffset(t.UtcTicks - extra, TimeSpan.Zero);
                return (below, DateTimeOffset.MaxValue - below < TimeSpan.FromMilliseconds(1) ? null : below.AddMilliseconds(1));
            default:
                return null;
        }
    }

    private static string Match(TextFunction text, string column, ISqlDialect dialect, IDictionary<string, object?> parameters)
    {
        var escaped = Escape(text.Value);
        var pattern = text.Kind switch
        {
            TextMatch.StartsWith => escaped + "%",
            TextMatch.EndsWith => "%" + escaped,
            _ => "%" + escaped + "%",
        };
        return NotNull(text.Field, column, dialect.Like(column, Add(parameters, dialect.ToParameter(pattern))));
    }

    // SQL's three-valued logic would make NOT (col = x) drop NULL rows; guarding nullable columns keeps every
    // predicate strictly true/false, so 'not (note eq 'x')' behaves like 'note ne 'x'' does.
    private static string NotNull(QueryField field, string column, string predicate) =>
        field.Nullable ? $"({column} IS NOT NULL AND {predicate})" : $"({predicate})";

    private static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '\\' or '%' or '_')
            {
                builder.Append('\\');
            }
            builder.Append(c);
        }
        return builder.ToString();
    }

    private static string Add(IDictionary<string, object?> parameters, object value)
    {
        var index = parameters.Count;
        while (parameters.ContainsKey($"@f{index}") || parameters.ContainsKey($"f{index}"))
        {
            index++;
        }
        var name = $"@f{index}";
        parameters[name] = value;
        return name;
    }
}
