using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hookline.Api;
using Hookline.Tests.Support;

namespace Hookline.Tests.Api;

/// <summary>
/// Requests that Kestrel itself refuses, sent byte for byte to the real process. Overlong URLs and header blocks within
/// Kestrel's (raised) limits get awork's <c>ErrorResponse</c>. What Kestrel refuses alone comes with an empty body, and each
/// case here shows why no better answer is possible: the response has no <c>Trace-Id</c>, which the first middleware puts on
/// every answer of the application, so no application code ran — Kestrel had no request to hand it.
/// </summary>
public sealed class RequestHeadTests : IAsyncLifetime
{
    private readonly TempDatabase _database = new();
    private HooklineServer? _server;

    public async Task InitializeAsync() =>
        _server = await HooklineServer.StartAsync(new Dictionary<string, string> { ["Hookline__Database__ConnectionString"] = _database.Path });

    public Task DisposeAsync()
    {
        _server?.Dispose();
        _database.Dispose();
        return Task.CompletedTask;
    }

    private sealed record Raw(int Status, Dictionary<string, string> Headers, string Body)
    {
        public JsonElement Error()
        {
            Assert.Equal("application/json; charset=utf-8", Headers.GetValueOrDefault("content-type"));
            Assert.True(Headers.ContainsKey("trace-id"), "an application answer carries a Trace-Id");
            var error = JsonDocument.Parse(Body).RootElement;
            Assert.Equal(Headers["trace-id"], error.GetProperty("traceId").GetString());
            return error;
        }

        /// <summary>Kestrel's own answer: nothing of the application's, and nothing to read.</summary>
        public void AssertKestrelAlone(int status)
        {
            Assert.Equal(status, Status);
            Assert.False(Headers.ContainsKey("trace-id"), "the application never saw this request");
            Assert.Equal("0", Headers.GetValueOrDefault("content-length"));
            Assert.Equal("", Body);
        }
    }

    /// <summary>Sends <paramref name="head"/> (and nothing else) as it is and reads the answer until the server closes.</summary>
    private async Task<Raw> SendAsync(string head)
    {
        var uri = new Uri(_server!.Url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        using var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
        }
        catch (IOException) { } // Kestrel may answer and close before it has read everything sent
        using var answer = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.CopyToAsync(answer, timeout.Token);
        }
        catch (IOException) { } // a reset after the answer, when unread bytes were left
        var text = Encoding.UTF8.GetString(answer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{text}'");
        var lines = text[..split].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = text[(split + 4)..];
        return new Raw(int.Parse(lines[0].Split(' ')[1]), headers, headers.GetValueOrDefault("transfer-encoding") == "chunked" ? Unchunk(body) : body);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        for (var at = 0; ;)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0) return body.ToString();
            body.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }
    }

    private static string Get(string target, string headers = "") =>
        $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n";

    [Fact]
    public async Task AnOverlongUrlIsAnswered414WithAnErrorResponse()
    {
        var answer = await SendAsync(Get("/api/v1/webhooks?filterby=" + new string('a', RequestHeadLimits.MaxRequestLine)));
        Assert.Equal(414, answer.Status);
        var error = answer.Error();
        Assert.Equal("uri-too-long", error.GetProperty("code").GetString());
        Assert.Contains("8,192 bytes", error.GetProperty("description").GetString());
    }

    [Fact]
    public async Task AUrlJustWithinTheLimitReachesTheApi()
    {
        var target = "/api/v1/webhooks?x=";
        var request = Get(target + new string('a', RequestHeadLimits.MaxRequestLine - target.Length - "GET  HTTP/1.1\r\n".Length));
        var answer = await SendAsync(request);
        Assert.Equal(401, answer.Status); // no token: the API's own answer, so the request got through
        Assert.Equal("unauthorized", answer.Error().GetProperty("code").GetString());
    }

    [Fact]
    public async Task TooManyOrTooLargeHeadersAreAnswered431WithAnErrorResponse()
    {
        var many = string.Concat(Enumerable.Range(0, RequestHeadLimits.MaxHeaderCount + 5).Select(i => $"X-Extra-{i}: {i}\r\n"));
        var large = $"X-Large: {new string('b', RequestHeadLimits.MaxHeaderBytes)}\r\n";
        foreach (var headers in new[] { many, large })
        {
            var answer = await SendAsync(Get("/api/v1/webhooks", headers));
            Assert.Equal(431, answer.Status);
            var error = answer.Error();
            Assert.Equal("request-header-fields-too-large", error.GetProperty("code").GetString());
            Assert.Contains("at most 100 of them, 32,768 bytes", error.GetProperty("description").GetString());
        }
    }

    [Fact]
    public async Task BeyondKestrelsOwnLimitsItAnswersAloneWithoutReadingOn()
    {
        var ceiling = RequestHeadLimits.KestrelFactor;
        (await SendAsync(Get("/api/v1/webhooks?x=" + new string('a', ceiling * RequestHeadLimits.MaxRequestLine)))).AssertKestrelAlone(414);
        (await SendAsync(Get("/api/v1/webhooks", $"X-Large: {new string('b', ceiling * RequestHeadLimits.MaxHeaderBytes)}\r\n")))
            .AssertKestrelAlone(431);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]                                                          // no request line
    [InlineData("GET /api/v1/webhooks HTTP/1.1\r\nConnection: close\r\n\r\n", 400)]               // HTTP/1.1 without Host
    [InlineData("GET /api/v1/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\n\r\n", 400)] // a NUL in a header value
    [InlineData("GET /api/v1/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX Bad: a\r\n\r\n", 400)]      // a space in a header name
    [InlineData("GET /api/v1/webhooks HTTP/7.1\r\nHost: 127.0.0.1\r\n\r\n", 505)]                 // no HTTP version Kestrel knows
    public async Task WhatIsNotAnHttpRequestIsRefusedByKestrelBeforeTheApplication(string head, int status) =>
        (await SendAsync(head)).AssertKestrelAlone(status);

    [Fact]
    public async Task TheServerStillAnswersNormallyAfterwards()
    {
        await SendAsync("GARBAGE\r\n\r\n");
        var answer = await SendAsync(Get("/health/ready"));
        Assert.Equal(200, answer.Status);
    }
}
