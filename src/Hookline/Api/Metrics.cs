using System.Diagnostics.Metrics;
using Hookline.Auth;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Hookline.Api;

/// <summary>
/// Hookline's own instruments. They carry no workspace, webhook or receiver address, only kinds and outcomes, so that
/// what /metrics shows is the same for every workspace and small enough for Prometheus whatever the number of webhooks.
/// </summary>
public sealed class HooklineMetrics
{
    public const string MeterName = "Hookline";
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;

    public HooklineMetrics(IMeterFactory meters, Storage.SqlDb db)
    {
        var meter = meters.Create(MeterName);
        if (db is Storage.Sqlite.SqliteDb { Work: var work })
        {
            meter.CreateObservableCounter("hookline.sqlite.statements", () => work.Statements, "{statement}", "SQL statements run on the SQLite file.");
            meter.CreateObservableCounter("hookline.sqlite.rows_written", () => work.RowsWritten, "{row}", "Rows inserted, updated or deleted in the SQLite file.");
            meter.CreateObservableCounter("hookline.sqlite.commits", () => work.Commits, "{transaction}", "Transactions committed to the SQLite file.");
        }
        _accepted = meter.CreateCounter<long>("hookline.events.accepted", "{event}", "Events accepted (202); replayed requests are not counted again.");
        _attempts = meter.CreateCounter<long>("hookline.delivery.attempts", "{attempt}", "Delivery attempts, by receiver type and outcome.");
        _duration = meter.CreateHistogram<double>("hookline.delivery.duration", "s", "How long receivers took to answer (or time out), by receiver type.");
    }

    public void Accepted(int events) => _accepted.Add(events);

    public void Attempted(string receiverType, bool success, int durationMs)
    {
        var type = new KeyValuePair<string, object?>("receiver_type", receiverType);
        _attempts.Add(1, type, new("outcome", success ? "success" : "failure"));
        _duration.Record(durationMs / 1000.0, type);
    }
}

/// <summary>/metrics in Prometheus' text format: Hookline's instruments, the .NET runtime's and ASP.NET Core's; system tokens with <c>metrics:read</c>.</summary>
public static class MetricsSetup
{
    public static IServiceCollection AddHooklineMetrics(this IServiceCollection services)
    {
        services.AddSingleton<HooklineMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("hookline", serviceVersion: typeof(HooklineMetrics).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics => metrics
                .AddMeter(HooklineMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapHooklineMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Policies.MetricsRead);
        return routes;
    }
}
