using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Hookline.Auth;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Hookline.Tests.Delivery;

/// <summary>OpenTelemetry spans, caught by the SDK's in-memory exporter in place of OTLP: ingest, then each attempt linked to it.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly Guid _workspace = Guid.NewGuid();
    private readonly LockedList<Activity> _spans = [];
    private HooklineFactory _app = null!;
    private Receiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await Receiver.StartAsync();
        _app = new HooklineFactory(TestEvents.FastDelivery(), services: s => s.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(_spans)));
    }

    public async Task DisposeAsync()
    {
        _app.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task OneEventToTwoWebhooksGivesOneIngestSpanAndTwoAttemptSpansLinkedToItWithNoSecretInThem()
    {
        var admin = await _app.AdminAsync(_workspace);
        var publisher = await _app.ClientAsync(_workspace, Permissions.EventsPublish);
        var token = publisher.DefaultRequestHeaders.Authorization!.Parameter!;
        var secrets = new List<string> { token, "s3cret-header-value", "query-secret" };
        var hooks = new List<WebhookConfig>
        {
            await admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/a?key=query-secret", events: "task_added")),
            await admin.CreateWebhookAsync(Json.Form(uri: _receiver.Url + "/b", events: "task_added", authenticationType: "header",
                authentication: "X-Api-Key=s3cret-header-value")),
        };
        foreach (var hook in hooks)
            secrets.Add((await admin.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hook.Id}/secret")).GetProperty("key").GetString()!);
        _receiver.AnswerInTurn(200, 503);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events") { Content = JsonContent.Create(TestEvents.Event("task_added")) };
        request.Headers.Add("traceparent", $"00-{ProducerTrace}-b7ad6b7169203331-01"); // the producer's span
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await publisher.SendAsync(request)).StatusCode);
        await Eventually.TrueAsync(() => Spans("deliver").Count >= 2, what: "two attempt spans"); // and the 503's retry, later

        var ingest = Assert.Single(Spans("ingest"));
        Assert.Equal("b7ad6b7169203331", ingest.ParentSpanId.ToHexString());
        Assert.Equal(1, ingest.GetTagItem("hookline.events"));
        var attempts = Spans("deliver").Where(a => a.GetTagItem("hookline.attempt") is 1).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a =>
        {
            var link = Assert.Single(a.Links);
            Assert.Equal((ingest.TraceId, ingest.SpanId), (link.Context.TraceId, link.Context.SpanId));
            Assert.Equal(ActivityKind.Client, a.Kind);
            Assert.Equal(1, a.GetTagItem("hookline.attempt"));
            Assert.Equal("custom", a.GetTagItem("hookline.receiver.type"));
        });
        Assert.Equal([200, 503], attempts.Select(a => (int)a.GetTagItem("http.response.status_code")!).Order());
        Assert.Equal(hooks.Select(h => h.Id.ToString()).Order(), attempts.Select(a => (string)a.GetTagItem("hookline.webhook.id")!).Order());
        Assert.Contains(attempts, a => a.Status == ActivityStatusCode.Error);

        var said = _spans.Snapshot().SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName).Append(s.StatusDescription ?? "")
            .Concat(s.Events.Select(e => e.Name))).ToList();
        foreach (var secret in secrets) Assert.DoesNotContain(said, s => s.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(said, s => s.Contains(_receiver.Url, StringComparison.Ordinal));
    }

    /// <summary>
    /// This test's spans of a kind: the SDK listens to Hookline's activity source in the whole process, so nodes of tests running
    /// beside this one add theirs too. Attempts are this workspace's; the ingest span is the one in the producer's trace.
    /// </summary>
    private List<Activity> Spans(string name) => _spans.Snapshot().Where(s => s.DisplayName == name)
        .Where(s => name == "ingest" ? s.TraceId.ToHexString() == ProducerTrace : (string?)s.GetTagItem("hookline.workspace.id") == _workspace.ToString())
        .ToList();

    private const string ProducerTrace = "0af7651916cd43dd8448eb211c80319c";

    /// <summary>The exporter adds from the worker's threads while the test reads.</summary>
    private sealed class LockedList<T> : System.Collections.ObjectModel.Collection<T>
    {
        protected override void InsertItem(int index, T item)
        {
            lock (this) base.InsertItem(index, item);
        }

        public List<T> Snapshot()
        {
            lock (this) return [.. this];
        }
    }
}
