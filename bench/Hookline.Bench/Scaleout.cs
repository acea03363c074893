using System.Text.Json.Nodes;

namespace Hookline.Bench;

/// <summary>One node count of the scaleout workload: deliveries/s, those that never came, those that came more than once.</summary>
public sealed record ScaleoutRound(int Nodes, double PerSec, int Lost, int Duplicates, PostgresCost? Cost);

public sealed record ScaleoutResult(int Events, IReadOnlyList<ScaleoutRound> Rounds)
{
    public double ThreeToOne => Rounds[^1].PerSec / Rounds[0].PerSec;

    public JsonObject ToJson() => new()
    {
        ["events"] = Events, ["webhooks"] = 1,
        ["nodes"] = new JsonArray(Rounds.Select(r => (JsonNode)new JsonObject
        {
            ["nodes"] = r.Nodes, ["perSec"] = Math.Round(r.PerSec), ["lost"] = r.Lost, ["duplicates"] = r.Duplicates,
        }).ToArray()),
        ["ratio3To1"] = Math.Round(ThreeToOne, 3),
    };
}

public sealed partial class Workloads
{
    /// <summary>
    /// 1, then 2, then 3 Hookline nodes, each its own process, on one database (PostgreSQL): the throughput workload's
    /// events, published through the nodes' APIs in turn, for each count. Deliveries are counted by webhook-id, so that one
    /// lost or sent twice by competing workers shows; they are counted once PostgreSQL's cost is read, seconds after the last.
    /// </summary>
    public async Task<ScaleoutResult> ScaleoutAsync()
    {
        var place = NewPlace();
        var nodes = new List<HooklineNode>();
        var rounds = new List<ScaleoutRound>();
        try
        {
            while (nodes.Count < 3)
            {
                var node = await HooklineNode.StartAsync(place, Worker, nodes.FirstOrDefault()?.Token);
                nodes.Add(node);
                if (nodes.Count == 1) await node.CreateWebhooksAsync(receiver.Url + "/scaleout", 1);
                await WarmUpAsync(node, delivers: true);
                var meter = await CostMeter.StartAsync(place);
                var perSec = await DeliverAsync(nodes, sizes.Scaleout, countIds: true);
                var cost = meter is null ? null : await meter.StopAsync(sizes.Scaleout, sizes.Scaleout);
                rounds.Add(new(nodes.Count, perSec, sizes.Scaleout - receiver.Count, receiver.Duplicates, cost));
                Console.Write($"[{nodes.Count} node(s): {perSec:N0}/s, {rounds[^1].Lost} lost, {rounds[^1].Duplicates} duplicates] ");
            }
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
        return new ScaleoutResult(sizes.Scaleout, rounds);
    }
}
