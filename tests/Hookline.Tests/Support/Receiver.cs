using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hookline.Tests.Support;

public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : "";
}

/// <summary>A real HTTP receiver on 127.0.0.1 that records every request and answers as the test says.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();

    private Receiver(WebApplication app) => _app = app;

    /// <summary>Answers each request; the default is 200 "ok".</summary>
    public Func<Received, HttpContext, Task> Respond { get; set; } = (_, http) => http.Response.WriteAsync("ok");

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    public IReadOnlyList<Received> Requests => _received.ToArray();
    public int Count => _received.Count;

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var request = new Received(http.Request.Path, headers, body, DateTimeOffset.UtcNow);
            receiver._received.Enqueue(request);
            await receiver.Respond(request, http);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Answers with <paramref name="statuses"/> in turn, then 200 for ever after.</summary>
    public void AnswerInTurn(params int[] statuses)
    {
        var next = 0;
        Respond = (_, http) =>
        {
            var i = Interlocked.Increment(ref next) - 1;
            http.Response.StatusCode = i < statuses.Length ? statuses[i] : 200;
            return http.Response.WriteAsync(http.Response.StatusCode == 200 ? "ok" : "not now");
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, double seconds = 20, string? what = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds} s waiting for {what ?? "the condition"}.");
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, double seconds = 20, string? what = null) =>
        TrueAsync(() => Task.FromResult(condition()), seconds, what);
}
