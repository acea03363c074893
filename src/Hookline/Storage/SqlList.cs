using System.Data.Common;
using Dapper;
using Hookline.Storage.Querying;

namespace Hookline.Storage;

/// <summary>The SQL stores' one way to list: a paged, filtered, ordered SELECT plus its COUNT, user input only as parameters.</summary>
public static class SqlList
{
    public static async Task<Page<TRow>> QueryAsync<TRow>(DbConnection c, string table, string columns, string scope,
        Dictionary<string, object?> parameters, ListQuery query, IReadOnlyDictionary<string, string> fieldColumns, ISqlDialect dialect)
    {
        string Column(QueryField f) => fieldColumns[f.Name];
        var where = scope;
        if (query.Filter is not null) where += " AND " + SqlFilter.Where(query.Filter, Column, dialect, parameters);
        var orderBy = SqlFilter.OrderBy(query.Order, Column, "id ASC");
        parameters["Limit"] = query.PageSize;
        parameters["Offset"] = query.Offset;

        var args = new DynamicParameters(parameters);
        var total = await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where};", args);
        var items = total == 0 ? [] : (await c.QueryAsync<TRow>(
            $"SELECT {columns} FROM {table} WHERE {where} ORDER BY {orderBy} LIMIT @Limit OFFSET @Offset;", args)).AsList();
        return new(items, total);
    }
}
