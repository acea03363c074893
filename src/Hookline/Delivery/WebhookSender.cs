using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hookline.Security;
using Hookline.Storage;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

/// <summary>What one HTTP attempt came to.</summary>
public sealed record SendOutcome(bool Success, int ResponseCode, string? Reason, string? ResponseBody, int DurationMs,
    TimeSpan? RetryAfter = null, string? PauseReason = null);

/// <summary>Posts one delivery: renders it, signs it, sends it within the timeout, and says what happened. Never throws for the receiver's faults.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptionsMonitor<DeliveryOptions> options, TimeProvider time,
    IEnumerable<IDeliveryRenderer> renderers, SecretProtector protector, ILogger<WebhookSender> logger)
{
    public const string HttpClientName = "delivery";

    /// <summary>The client, with connection pools of its own, for receivers not known to answer in time.</summary>
    public const string ApartHttpClientName = "delivery-apart";
    public const int MaxLoggedResponseBytes = 4096;
    public static readonly string UserAgent = $"Hookline/{typeof(WebhookSender).Assembly.GetName().Version?.ToString(3)}";

    private readonly Dictionary<string, IDeliveryRenderer> _renderers = renderers.ToDictionary(r => r.ReceiverType);

    /// <param name="apart">Sent over connections apart from those of receivers known to answer in time (<see cref="FairShare.Attempt.Apart"/>).</param>
    public async Task<(SendOutcome Outcome, string Message)> SendAsync(ClaimedDelivery delivery, bool apart, CancellationToken ct)
    {
        var renderer = _renderers.GetValueOrDefault(delivery.Target.ReceiverType) ?? _renderers[Webhooks.ReceiverTypes.Custom];
        var rendered = renderer.Render(delivery);
        var message = Encoding.UTF8.GetString(rendered.Body);
        WebhookTarget target;
        try
        {
            target = protector.Reveal(delivery.Target);
        }
        catch (SecretUnreadableException e)
        {
            // Not sent unsigned or without its header: it fails like an unreachable receiver, retried, until the key ring is back.
            logger.LogWarning("Delivery {DeliveryId} to webhook {WebhookId} not sent: {Reason}", delivery.Id, delivery.Target.Id, e.Message);
            return (new SendOutcome(false, 0, e.Message, null, 0), message);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Target.Uri) { Content = new ByteArrayContent(rendered.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (rendered.StandardWebhooksHeaders)
        {
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation("webhook-id", delivery.MessageId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString());
            if (target.Secrets.Count > 0)
                request.Headers.TryAddWithoutValidation("webhook-signature", Signing.Header(target.Secrets, delivery.MessageId, timestamp, rendered.Body));
        }
        if (target is { AuthenticationType: "header", Authentication: { } auth } && auth.IndexOf('=') is var split and > 0)
            request.Headers.TryAddWithoutValidation(auth[..split], auth[(split + 1)..]);

        var timeout = delivery.Target.Policy.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.CurrentValue.Timeout;
        var clock = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await clients.CreateClient(apart ? ApartHttpClientName : HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var body = await ReadPrefixAsync(response.Content, cts.Token);
            var code = (int)response.StatusCode;
            var success = code is >= 200 and < 300;
            return (new SendOutcome(success, code, success ? null : Describe(response, body), body, Elapsed(clock),
                code is 429 or 503 ? RetryAfter(response) ?? renderer.RetryAfter(body) : null, success ? null : renderer.PauseReason(code, body)), message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (new SendOutcome(false, 0, $"No answer within {timeout.TotalSeconds:0.###} s (timeout).", null, Elapsed(clock)), message);
        }
        catch (HttpRequestException e)
        {
            var refused = FindInner<RefusedAddressException>(e);
            var reason = refused?.Message ?? $"The request failed: {Innermost(e).Message}";
            return (new SendOutcome(false, 0, reason, null, Elapsed(clock)), message);
        }
    }

    /// <summary>The status, and the start of a short plain-text answer (Slack says what is wrong that way: invalid_payload).</summary>
    private static string Describe(HttpResponseMessage response, string? body)
    {
        var code = (int)response.StatusCode;
        var text = $"HTTP {code} {response.ReasonPhrase}".TrimEnd();
        if (code is >= 300 and < 400) return $"{text}: redirects are not followed; point the webhook at the final URL.";
        var said = body?.Trim();
        return said is { Length: > 0 and <= 200 } && !said.Contains('\n') && !said.StartsWith('<') ? $"{text}: {said}" : text;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow();
        return null;
    }

    private static async Task<string?> ReadPrefixAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxLoggedResponseBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0) break;
            filled += read;
        }
        return filled == 0 ? null : Encoding.UTF8.GetString(buffer, 0, filled);
    }

    private static int Elapsed(Stopwatch clock) => (int)Math.Min(int.MaxValue, clock.ElapsedMilliseconds);

    private static T? FindInner<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException) if (x is T found) return found;
        return null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
