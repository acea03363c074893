using System.Diagnostics.CodeAnalysis;

namespace Hookline.Storage.Querying;

/// <summary>
/// A queryable property's type. <see cref="Integer"/> is a whole-number column, compared exactly with any number literal
/// (see <see cref="SqlFilter"/>); <see cref="DateTime"/> columns hold whole milliseconds, as every store keeps times.
/// </summary>
public enum FieldType { String, Number, Integer, Boolean, Guid, DateTime }

/// <summary>A property that clients may filter or order by. <paramref name="Name"/> is the camelCase API name.</summary>
public sealed record QueryField(string Name, FieldType Type, bool Nullable = false);

/// <summary>The whitelist of a model's queryable properties; lookups are case-insensitive.</summary>
public sealed class QueryFields
{
    private readonly QueryField[] _fields;
    private readonly Dictionary<string, QueryField> _byName;

    public QueryFields(params QueryField[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = [.. fields];
        _byName = new Dictionary<string, QueryField>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in _fields)
        {
            if (!_byName.TryAdd(field.Name, field))
            {
                throw new ArgumentException($"Duplicate query field '{field.Name}'.", nameof(fields));
            }
        }
    }

    public IEnumerable<QueryField> All => _fields;

    public bool TryGet(string name, [NotNullWhen(true)] out QueryField? field) =>
        _byName.TryGetValue(name, out field);

    internal string Names => string.Join(", ", _fields.Select(f => f.Name));
}
