using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Hookline.Api;

/// <summary>Trace ids on every response, and awork error bodies for everything that fails outside a handler.</summary>
public static class ErrorHandling
{
    public static IServiceCollection AddErrorHandling(this IServiceCollection services)
    {
        services.AddExceptionHandler<ExceptionToErrorResponse>();
        services.AddProblemDetails();
        // Binding failures throw BadHttpRequestException so that one handler maps them to awork's codes.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services.AddRequestHeadLimits();
    }

    public static IApplicationBuilder UseErrorHandling(this IApplicationBuilder app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[ApiError.TraceIdHeader] = ApiError.TraceId(http);
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => WriteEmptyStatus(context.HttpContext));
        app.Use(RequestHeadLimits.Check);
        return app;
    }

    private static Task WriteEmptyStatus(HttpContext http) => http.Request.Path.StartsWithSegments("/portal")
        ? Portal.PortalSetup.WriteStatusPageAsync(http)
        : http.Response.StatusCode switch
    {
        404 => ApiError.WriteAsync(http, 404, "not-found", "There is no matching path for this URL."),
        405 => ApiError.WriteAsync(http, 405, "method-not-allowed", $"The method {http.Request.Method} is not allowed on this path."),
        414 => ApiError.WriteAsync(http, 414, "uri-too-long",
            $"The request line (method, URL and protocol) is longer than the {RequestHeadLimits.MaxRequestLine:N0} bytes allowed."),
        415 => ApiError.WriteAsync(http, 415, ApiError.UnsupportedMediaType, ApiError.JsonOnly),
        431 => ApiError.WriteAsync(http, 431, "request-header-fields-too-large",
            $"The request headers are larger than allowed: at most {RequestHeadLimits.MaxHeaderCount} of them, {RequestHeadLimits.MaxHeaderBytes:N0} bytes in all."),
        var status => ApiError.WriteAsync(http, status, "error", $"The request failed with status {status}."),
    };

    private sealed class ExceptionToErrorResponse(ILogger<ExceptionToErrorResponse> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            switch (exception)
            {
                case BadHttpRequestException { StatusCode: 413 }:
                    await ApiError.WriteAsync(http, 413, "request-body-too-large", "The request body exceeds the allowed size limit.");
                    break;
                case BadHttpRequestException { StatusCode: 415 }:
                    await ApiError.WriteAsync(http, 415, ApiError.UnsupportedMediaType, ApiError.JsonOnly);
                    break;
                case BadHttpRequestException { InnerException: JsonException json }:
                    await ApiError.WriteAsync(http, 400, "invalid-model", "The body of the request is invalid or empty.", [json.Message]);
                    break;
                case BadHttpRequestException bad:
                    await ApiError.WriteAsync(http, bad.StatusCode, "invalid-model", "The request is invalid.", [bad.Message]);
                    break;
                case Security.SecretUnreadableException unreadable:
                    logger.LogWarning("{Method} {Path} failed: {Reason}", http.Request.Method, http.Request.Path, unreadable.Message);
                    await ApiError.WriteAsync(http, 503, "secret-unreadable", unreadable.Message);
                    break;
                case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                    return true; // the client went away; nobody is left to answer
                case var e when StorageFailure.IsUnavailable(e):
                    // Nothing of this request was stored; the database comes back on its own (disk freed, remounted, restarted).
                    logger.LogWarning(e, "The database is unavailable for {Method} {Path}; answered 503", http.Request.Method, http.Request.Path);
                    http.Response.Headers.RetryAfter = "5";
                    await ApiError.WriteAsync(http, 503, "service-unavailable",
                        "The database cannot be written or read right now (for example a full or read-only disk). Nothing was stored; try again shortly.");
                    break;
                default:
                    logger.LogError(exception, "Unhandled error for {Method} {Path}", http.Request.Method, http.Request.Path);
                    await ApiError.WriteAsync(http, 500, "server-error", "An unexpected error occurred. Quote the trace id when reporting it.");
                    break;
            }
            return true;
        }
    }
}
