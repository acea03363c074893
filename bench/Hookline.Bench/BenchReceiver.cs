using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hookline.Bench;

/// <summary>
/// The receiving end on 127.0.0.1: counts deliveries and, where the event carries the publisher's Stopwatch
/// timestamp (<c>"sentAt":</c>), records ingest-to-receipt latency. Publisher and receiver share this process's clock.
/// Where asked, it counts deliveries by their <c>webhook-id</c> instead, so that one sent twice counts once and shows as a duplicate.
/// A troubled receiver for the noisy workload is here too: under <c>/hang</c> it answers nothing until the sender gives up,
/// under <c>/fail</c> it answers 500 at once; neither is counted with the deliveries.
/// </summary>
public sealed class BenchReceiver : IAsyncDisposable
{
    private static readonly byte[] SentAt = "\"sentAt\":"u8.ToArray();
    private readonly WebApplication _app;
    private long[] _latencies = new long[1];
    private int _latencyCount;
    private int _count;
    private ConcurrentDictionary<string, int>? _ids; // webhook-id → times received, where ids are counted

    private BenchReceiver(WebApplication app) => _app = app;

    /// <summary>Deliveries received since the last reset: distinct webhook-ids where ids are counted.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>When the last delivery counted in <see cref="Count"/> arrived (a duplicate does not move it).</summary>
    public long LastReceivedTicks { get; private set; }

    /// <summary>Requests to <c>/hang</c> and <c>/fail</c> so far, and those of <c>/hang</c> open now.</summary>
    public int Troubled => Volatile.Read(ref _troubled);
    public int Hanging => Volatile.Read(ref _hanging);
    private int _troubled, _hanging;

    /// <summary>Webhook-ids received more than once since the last reset (0 where ids are not counted).</summary>
    public int Duplicates => _ids?.Values.Count(n => n > 1) ?? 0;

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
    public void Reset(int expected, bool countIds = false)
    {
        _latencies = new long[Math.Max(1, expected)];
        _latencyCount = 0;
        _ids = countIds ? new ConcurrentDictionary<string, int>() : null;
        Volatile.Write(ref _count, 0);
    }

    public double[] LatenciesMs() => LatenciesInOrderMs().Order().ToArray();

    /// <summary>The latencies in the order the deliveries arrived.</summary>
    public double[] LatenciesInOrderMs() =>
        _latencies.Take(Math.Min(_latencyCount, _latencies.Length)).Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();

    private async Task HandleAsync(HttpContext http)
    {
        if (http.Request.Path.StartsWithSegments("/hang") || http.Request.Path.StartsWithSegments("/fail"))
        {
            Interlocked.Increment(ref _troubled);
            if (http.Request.Path.StartsWithSegments("/fail")) { http.Response.StatusCode = 500; return; }
            Interlocked.Increment(ref _hanging);
            try { await Task.Delay(Timeout.Infinite, http.RequestAborted); }
            catch (OperationCanceledException) { }
            finally { Interlocked.Decrement(ref _hanging); }
            return;
        }
        var received = Stopwatch.GetTimestamp();
        var body = await ReadAsync(http.Request);
        var at = body.AsSpan().IndexOf(SentAt);
        if (at >= 0 && Utf8Parser.TryParse(body.AsSpan(at + SentAt.Length), out long sent, out _))
        {
            var i = Interlocked.Increment(ref _latencyCount) - 1;
            if (i < _latencies.Length) _latencies[i] = received - sent;
        }
        var ids = _ids;
        if (ids is null || ids.AddOrUpdate(http.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1) == 1)
        {
            LastReceivedTicks = received;
            Interlocked.Increment(ref _count);
        }
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

    /// <summary>Waits for <paramref name="count"/> deliveries; false once none has arrived for <paramref name="stall"/>.</summary>
    public async Task<bool> ArrivedAsync(int count, TimeSpan stall)
    {
        var seen = Count;
        var quiet = Stopwatch.StartNew();
        while (Count < count)
        {
            if (Count != seen)
            {
                seen = Count;
                quiet.Restart();
            }
            else if (quiet.Elapsed > stall) return false;
            await Task.Delay(5);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
