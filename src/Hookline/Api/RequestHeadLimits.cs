using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hookline.Api;

/// <summary>
/// How long a request line and how large a header block may be. Kestrel refuses what is over its own limits before the
/// application sees the request, with an empty body; so its limits are set at <see cref="KestrelFactor"/> times Hookline's,
/// and a request between the two reaches <see cref="Check"/>, which answers 414 or 431 with awork's <c>ErrorResponse</c>
/// (through the status pages of <see cref="ErrorHandling"/>). Beyond Kestrel's limits it stops reading, and its empty 414 or
/// 431 is the answer: reading on to say more would be what the limit is there to prevent. A request that is not HTTP at all
/// (a malformed request line, bad header bytes, no Host) is likewise refused by Kestrel with an empty 400: there is no
/// request for the application to answer.
/// </summary>
public static class RequestHeadLimits
{
    /// <summary>Kestrel's own defaults, so that clients see the limits they would see anywhere else.</summary>
    public const int MaxRequestLine = 8 * 1024, MaxHeaderBytes = 32 * 1024, MaxHeaderCount = 100;

    public const int KestrelFactor = 8;

    public static IServiceCollection AddRequestHeadLimits(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestLineSize = KestrelFactor * MaxRequestLine;
            o.Limits.MaxRequestHeadersTotalSize = KestrelFactor * MaxHeaderBytes;
            o.Limits.MaxRequestHeaderCount = KestrelFactor * MaxHeaderCount;
        });

    /// <summary>Sets 414 or 431 (without a body, for the status pages to write) when the request's head is over the limits.</summary>
    public static Task Check(HttpContext http, RequestDelegate next)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var request = http.Request;
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLine)
        {
            http.Response.StatusCode = StatusCodes.Status414UriTooLong;
            return Task.CompletedTask;
        }
        var (bytes, count) = (2, 0);
        foreach (var (name, values) in request.Headers)
            foreach (var value in values)
                (bytes, count) = (bytes + name.Length + (value?.Length ?? 0) + 4, count + 1);
        if (bytes > MaxHeaderBytes || count > MaxHeaderCount)
        {
            http.Response.StatusCode = StatusCodes.Status431RequestHeaderFieldsTooLarge;
            return Task.CompletedTask;
        }
        return next(http);
    }
}
