using Hookline.Storage;
using Microsoft.Extensions.Options;

namespace Hookline.Delivery;

public static class DeliverySetup
{
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeliveryOptions>().PostConfigure<IHostEnvironment>((o, env) => o.AllowPrivateNetworks ??= env.IsDevelopment());
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<IDeliveryRenderer, CustomRenderer>();
        services.AddSingleton<IDeliveryRenderer, Slack.SlackRenderer>();
        services.AddSingleton<IDeliveryRenderer, Teams.TeamsRenderer>();
        services.AddSingleton<IDeliveryRenderer, Discord.DiscordRenderer>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<DeliveryCommands>();
        services.AddSingleton<OperationalEvents>();
        // Two clients, each with its own connection pools: requests to receivers not known to answer in time go over the
        // second (FairShare.Attempt.Apart), so that a burst of them never takes the warm connections that proven receivers on the
        // same host use, nor makes those wait behind the new connections the burst opens.
        foreach (var name in new[] { WebhookSender.HttpClientName, WebhookSender.ApartHttpClientName })
            services.AddHttpClient(name, c => c.Timeout = Timeout.InfiniteTimeSpan)
                .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
                {
                    ConnectCallback = NetworkGuard.ConnectCallback(sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.AllowPrivateNetworks == true),
                    AllowAutoRedirect = false,
                    UseProxy = false, // through a proxy, ConnectCallback would vet the proxy, not the receiver
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                })
                // The default handler logs request URIs, and a Slack webhook's URI is its secret.
                .RemoveAllLoggers();
        services.AddOptions<Api.NodeOptions>().BindConfiguration(Api.NodeOptions.Section);
        if (configuration.GetValue("Hookline:Node:Worker", true))
        {
            services.AddHostedService<DeliveryWorker>();
            services.AddHostedService<Pruner>();
        }
        return services;
    }

    /// <summary>Deletes logs, finished deliveries and events past the retention, and expired idempotency keys.</summary>
    private sealed class Pruner(IDeliveryStore store, IOptionsMonitor<DeliveryOptions> options, IOptionsMonitor<Events.EventsOptions> events,
        TimeProvider time, ILogger<Pruner> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stopping)
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    var now = time.GetUtcNow();
                    var pruned = await store.PruneAsync(now - options.CurrentValue.LogRetention, now - events.CurrentValue.IdempotencyWindow, stopping);
                    if (pruned != new PruneResult(0, 0, 0, 0)) logger.LogInformation("Pruned {Pruned}", pruned);
                    await Task.Delay(options.CurrentValue.PruneInterval, time, stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
                catch (Exception e)
                {
                    logger.LogError(e, "Pruning failed; trying again later");
                    await Task.Delay(options.CurrentValue.PruneInterval, time, stopping);
                }
            }
        }
    }
}
