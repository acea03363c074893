using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hookline.Api;

/// <summary>The one place where failures become awork's <see cref="ErrorResponse"/>.</summary>
public static class ApiError
{
    public const string TraceIdHeader = "Trace-Id";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string JsonOnly = "The request body must be JSON (Content-Type: application/json).";

    public static JsonHttpResult<ErrorResponse> NotFound(HttpContext http, string description) =>
        Create(http, StatusCodes.Status404NotFound, "not-found", description);

    public static JsonHttpResult<ErrorResponse> WebhookNotFound(HttpContext http, Guid id) =>
        NotFound(http, $"No webhook with the id '{id}' exists.");

    public static JsonHttpResult<ErrorResponse> Validation(HttpContext http, IReadOnlyList<ValidationErrorResponse> errors) =>
        Create(http, StatusCodes.Status400BadRequest, "validation-failed",
            "The model validation of the request failed. See the validation errors for details.", validationErrors: errors);

    public static JsonHttpResult<ErrorResponse> InvalidModel(HttpContext http, string detail) =>
        Create(http, StatusCodes.Status400BadRequest, "invalid-model", "The body of the request is invalid or empty.", [detail]);

    public static JsonHttpResult<ErrorResponse> InvalidFilterOrOrder(HttpContext http, string detail) =>
        Create(http, StatusCodes.Status400BadRequest, "invalid-filter-or-order",
            "The request contains an invalid filter or sort statement.", [detail]);

    public static JsonHttpResult<ErrorResponse> Create(HttpContext http, int status, string code, string description,
        IReadOnlyList<string>? details = null, IReadOnlyList<ValidationErrorResponse>? validationErrors = null) =>
        TypedResults.Json(Body(http, code, description, details, validationErrors), statusCode: status);

    public static ErrorResponse Body(HttpContext http, string code, string description,
        IReadOnlyList<string>? details = null, IReadOnlyList<ValidationErrorResponse>? validationErrors = null) => new()
    {
        Code = code,
        Description = description,
        Link = $"{http.Request.Scheme}://{http.Request.Host}/docs",
        Details = details,
        ValidationErrors = validationErrors,
        TraceId = TraceId(http),
    };

    /// <summary>Writes an error outside endpoint handlers (middleware, authentication, exception handler).</summary>
    public static Task WriteAsync(HttpContext http, int status, string code, string description, IReadOnlyList<string>? details = null)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(Body(http, code, description, details), http.RequestAborted);
    }

    public static string TraceId(HttpContext http)
    {
        if (http.Items.TryGetValue(TraceIdHeader, out var existing) && existing is string id) return id;
        id = Activity.Current?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString();
        http.Items[TraceIdHeader] = id;
        return id;
    }
}
