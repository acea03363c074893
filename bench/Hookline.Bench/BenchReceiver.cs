using System.Buffers.Text;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hookline.Bench;

/// <summary>
/// The receiving end on 127.0.0.1: counts deliveries and, where the event carries the publisher's Stopwatch
/// timestamp (<c>"sentAt":</c>), records ingest-to-receipt latency. Publisher and receiver share this process's clock.
/// </summary>
public sealed class BenchReceiver : IAsyncDisposable
{
    private static readonly byte[] SentAt = "\"sentAt\":"u8.ToArray();
    private readonly WebApplication _app;
    private long[] _latencies = new long[1];
    private int _latencyCount;
    private int _count;

    private BenchReceiver(WebApplication app) => _app = app;

    public int Count => Volatile.Read(ref _count);
    public long LastReceivedTicks { get; private set; }
    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<BenchReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxConcurrentConnections = null);
        var app = builder.Build();
        var receiver = new BenchReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Forgets what came before and makes room for <paramref name="expected"/> latency samples.</summary>
    public void Reset(int expected)
    {
        _latencies = new long[Math.Max(1, expected)];
        _latencyCount = 0;
        Volatile.Write(ref _count, 0);
    }

    public double[] LatenciesMs() =>
        _latencies.Take(Math.Min(_latencyCount, _latencies.Length)).Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();

    private async Task HandleAsync(HttpContext http)
    {
        var received = Stopwatch.GetTimestamp();
        var body = await ReadAsync(http.Request);
        var at = body.AsSpan().IndexOf(SentAt);
        if (at >= 0 && Utf8Parser.TryParse(body.AsSpan(at + SentAt.Length), out long sent, out _))
        {
            var i = Interlocked.Increment(ref _latencyCount) - 1;
            if (i < _latencies.Length) _latencies[i] = received - sent;
        }
        LastReceivedTicks = received;
        Interlocked.Increment(ref _count);
        http.Response.StatusCode = 200;
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var memory = new MemoryStream();
        await request.Body.CopyToAsync(memory);
        return memory.ToArray();
    }

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Count < count)
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"Only {Count} of {count} deliveries arrived within {timeout}.");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
