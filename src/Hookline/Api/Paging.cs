using Hookline.Api.Querying;
using Hookline.Storage.Querying;
using Hookline.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hookline.Api;

/// <summary>Reads awork's list parameters (page, pageSize, filterby, orderby) and writes its paging headers.</summary>
public static class Paging
{
    public const int MaxPageSize = 1000;
    private const int MaxPage = 10_000_000;

    public static JsonHttpResult<ErrorResponse>? TryRead(HttpContext http, QueryFields fields, IReadOnlyList<OrderTerm> defaultOrder, out ListQuery query)
    {
        query = new ListQuery(null, defaultOrder, 1, MaxPageSize);
        var q = http.Request.Query;
        var errors = new List<ValidationErrorResponse>();
        var page = ReadInt(q["page"], "page", 1, 1, MaxPage, errors);
        var pageSize = ReadInt(q["pageSize"], "pageSize", MaxPageSize, 1, MaxPageSize, errors);
        if (errors.Count > 0) return ApiError.Validation(http, errors);

        FilterNode? filter = null;
        string? filterText = q["filterby"];
        if (!string.IsNullOrWhiteSpace(filterText) && !FilterParser.TryParse(filterText, fields, out filter, out var filterError))
            return ApiError.InvalidFilterOrOrder(http, $"filterby: {filterError}");
        if (!OrderParser.TryParse(q["orderby"], fields, out var order, out var orderError))
            return ApiError.InvalidFilterOrOrder(http, $"orderby: {orderError}");

        query = new ListQuery(filter, order.Count > 0 ? order : defaultOrder, page, pageSize);
        return null;
    }

    public static void WriteHeaders<T>(HttpResponse response, ListQuery query, Page<T> page)
    {
        response.Headers["aw-page"] = query.Page.ToString();
        response.Headers["aw-pagesize"] = query.PageSize.ToString();
        response.Headers["aw-items"] = page.Items.Count.ToString();
        response.Headers["aw-totalitems"] = page.Total.ToString();
    }

    private static int ReadInt(string? text, string name, int fallback, int min, int max, List<ValidationErrorResponse> errors)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, null, out var value) && value >= min && value <= max) return value;
        errors.Add(new(name, $"{name} must be a whole number from {min} to {max}."));
        return fallback;
    }
}
