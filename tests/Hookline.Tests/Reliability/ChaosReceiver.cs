using System.Collections.Concurrent;
using System.Text;
using Hookline.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Hookline.Tests.Reliability;

/// <summary>What a chaos receiver did with one request.</summary>
public enum Fault { Ok, Error500, Hang, Reset, Slow }

/// <summary>
/// Makes a <see cref="Receiver"/> misbehave at random: 500 (30 %), hang past the sender's timeout (5 %), reset the
/// connection (5 %), answer slowly but in time (5 %). The choice is a hash of the seed, the event's <c>entityId</c> (set
/// by the test, unlike the random <c>webhook-id</c>) and how often that event has arrived, so the same seed makes the same
/// faults whatever order the requests come in.
/// </summary>
public sealed class ChaosReceiver(ulong seed, TimeSpan senderTimeout)
{
    private readonly ConcurrentDictionary<string, int> _arrivals = new();
    private readonly ConcurrentDictionary<Fault, int> _faults = new();

    public IReadOnlyDictionary<Fault, int> Faults => _faults;

    public async Task RespondAsync(Received request, HttpContext http)
    {
        var id = System.Text.Json.JsonDocument.Parse(request.Body).RootElement.GetProperty("entityId").GetString()!;
        var arrival = _arrivals.AddOrUpdate(id, 1, (_, n) => n + 1);
        var fault = Pick(Unit($"{seed}:{id}:{arrival}"));
        _faults.AddOrUpdate(fault, 1, (_, n) => n + 1);
        switch (fault)
        {
            case Fault.Error500:
                http.Response.StatusCode = 500;
                await http.Response.WriteAsync("chaos: 500");
                return;
            case Fault.Hang:
                // Until well past the timeout, or until the sender gives up and closes the connection.
                try { await Task.Delay(senderTimeout * 3, http.RequestAborted); } catch (OperationCanceledException) { return; }
                await http.Response.WriteAsync("too late");
                return;
            case Fault.Reset:
                http.Abort(); // the connection is dropped without an answer
                return;
            case Fault.Slow:
                await Task.Delay(senderTimeout * 0.3);
                await http.Response.WriteAsync("ok, slowly");
                return;
            default:
                await http.Response.WriteAsync("ok");
                return;
        }
    }

    private static Fault Pick(double r) => r switch
    {
        < 0.30 => Fault.Error500,
        < 0.35 => Fault.Hang,
        < 0.40 => Fault.Reset,
        < 0.45 => Fault.Slow,
        _ => Fault.Ok,
    };

    /// <summary>FNV-1a, stable across processes (string.GetHashCode is not), scaled to [0, 1).</summary>
    private static double Unit(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * 1099511628211UL;
        hash ^= hash >> 29; // FNV's low bits mix poorly; fold the high ones in before taking the top 53 bits
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 32;
        return (hash >> 11) / (double)(1UL << 53);
    }
}
