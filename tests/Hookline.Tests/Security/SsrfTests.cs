using System.Net;
using System.Net.Sockets;
using Hookline.Delivery;
using Hookline.Tests.Support;
using Hookline.Webhooks;

namespace Hookline.Tests.Security;

/// <summary>
/// SSRF at delivery time, through the real API, sender and worker (Delivery/NetworkGuardTests covers the classifier
/// and the bare connect callback). Hookline accepts any http(s) URI at create time and refuses at connect time, on the
/// addresses the socket would use. Every spelling below reaches the <see cref="Trap"/> on this machine when private
/// networks are allowed (the control, so a refusal is not just an unreachable address) and never when they are not.
/// Connections only ever go to loopback: the non-loopback private ranges are sent only after the guard has been seen
/// to refuse loopback in the same Hookline, and only after the classifier has been seen to call them non-public.
/// </summary>
public sealed class SsrfTests(SsrfFixture fx) : IClassFixture<SsrfFixture>
{
    public static TheoryData<string, string> ThisMachine => new()
    {
        { "http://localhost:{port}/hook", "loopback" },
        { "http://LOCALHOST:{port}/hook", "loopback" },
        { "http://localhost.:{port}/hook", "loopback" },
        { "http://{alias}:{port}/hook", "loopback" },
        { "http://127.0.0.1:{port}/hook", "loopback" },
        { "http://127.1:{port}/hook", "loopback" },
        { "http://2130706433:{port}/hook", "loopback" },
        { "http://0177.0.0.1:{port}/hook", "loopback" },
        { "http://0x7f.0.0.1:{port}/hook", "loopback" },
        { "http://0x7f000001:{port}/hook", "loopback" },
        { "http://[::ffff:127.0.0.1]:{port}/hook", "loopback" },
        { "http://[::ffff:7f00:1]:{port}/hook", "loopback" },
        { "http://[::1]:{port}/hook", "loopback" },
        { "http://0:{port}/hook", "unspecified" },
        { "http://0.0.0.0:{port}/hook", "unspecified" },
        { "https://localhost:{port}/hook", "loopback" },
    };

    [Theory]
    [MemberData(nameof(ThisMachine))]
    public async Task A_test_send_to_this_machine_is_refused_with_a_logged_reason_and_reaches_nothing(string template, string category)
    {
        Assert.NotNull(fx.Alias.Name); // the tests run as root, which may add a line to /etc/hosts
        var admin = await fx.Guarded.AdminAsync(Guid.NewGuid());
        var before = fx.Trap.Accepted;

        var (hook, result, log) = await SsrfFixture.TestSendAsync(admin, fx.Uri(template));

        Assert.False(result.IsSuccessful);
        Assert.Equal(0, result.ResponseCode);
        if (template.Contains("localhost.") && result.Reason!.Contains("Name or service not known"))
            Assert.Equal("The request failed: Name or service not known", result.Reason); // this resolver knows no "localhost."
        else
        {
            Assert.StartsWith("Refused to connect to ", result.Reason);
            Assert.Contains($", a {category} address): private networks are not allowed.", result.Reason);
        }
        Assert.Equal((false, 0, result.Reason), (log.IsSuccessful, log.ResponseCode, log.Reason));
        Assert.Equal(before, fx.Trap.Accepted);
        Assert.Equal(hook.Uri, fx.Uri(template)); // stored as given: nothing was "fixed" on the way in
    }

    [Theory]
    [MemberData(nameof(ThisMachine))]
    public async Task Control_the_same_uris_do_reach_the_trap_when_private_networks_are_allowed(string template, string category)
    {
        _ = category;
        if (template.Contains("[::1]") && !fx.Trap.ListensOnIPv6) return; // no IPv6 loopback here
        if (template.Contains("localhost.") && !Resolves("localhost.")) return; // nothing to reach: see the refusal test
        var admin = await fx.Open.AdminAsync(Guid.NewGuid());
        var before = fx.Trap.Accepted;

        var (_, result, _) = await SsrfFixture.TestSendAsync(admin, fx.Uri(template));

        if (template.StartsWith("https:")) Assert.False(result.IsSuccessful); // the trap speaks plain HTTP; reached all the same
        else Assert.True(result.IsSuccessful, result.Reason);
        Assert.True(fx.Trap.Accepted > before, "the trap was not reached, so the refusal above would prove nothing");
    }

    [Fact]
    public async Task Private_link_local_metadata_and_cgnat_addresses_are_refused_at_delivery()
    {
        var admin = await fx.Guarded.AdminAsync(Guid.NewGuid());
        // The interlock: this Hookline refuses loopback, so the addresses below are refused too and never connected to.
        var (_, interlock, _) = await SsrfFixture.TestSendAsync(admin, fx.Uri("http://127.0.0.1:{port}/"));
        Assert.Contains("a loopback address", interlock.Reason);

        (string Host, string Category)[] cases =
        [
            ("169.254.169.254", "cloud metadata"), ("[fd00:ec2::254]", "cloud metadata"), ("169.254.1.1", "link-local"),
            ("10.0.0.1", "private"), ("10.255.255.254", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
            ("192.168.0.1", "private"), ("192.168.255.254", "private"), ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"), ("[fe80::1]", "link-local"), ("[fc00::1]", "unique local"),
            ("[fd12:3456::1]", "unique local"), ("[::ffff:10.0.0.1]", "private"), ("[::ffff:a9fe:a9fe]", "cloud metadata"),
            ("0xa9fea9fe", "cloud metadata"), ("2852039166", "cloud metadata"), ("012.0.0.1", "private"), ("192.168.1", "private"),
        ];
        foreach (var (host, category) in cases)
        {
            var address = IPAddress.Parse(new Uri($"http://{host}/").Host.Trim('[', ']'));
            Assert.Equal(category, NetworkGuard.Classify(address)); // never sent unless known to be refused

            var (_, result, log) = await SsrfFixture.TestSendAsync(admin, $"http://{host}:8080/hook");

            Assert.False(result.IsSuccessful, host);
            Assert.Contains($"({address}, a {category} address): private networks are not allowed", result.Reason);
            Assert.Equal(result.Reason, log.Reason);
        }
    }

    [Fact]
    public async Task Queued_deliveries_to_this_machine_are_refused_on_every_attempt_and_end_failed()
    {
        var workspace = Guid.NewGuid();
        var admin = await fx.Guarded.AdminAsync(workspace);
        var publisher = await fx.Guarded.ClientAsync(workspace, Hookline.Auth.Permissions.EventsPublish);
        var hooks = new List<WebhookConfig>();
        foreach (var row in ThisMachine)
            hooks.Add(await admin.CreateWebhookAsync(Json.Form(name: "queued", uri: fx.Uri((string)row[0]))));
        var before = fx.Trap.Accepted;

        var (_, deliveries) = await publisher.PublishAsync(TestEvents.Event(workspaceId: workspace));
        Assert.Equal(hooks.Count, deliveries);

        var attempts = fx.Guarded.Service<Microsoft.Extensions.Options.IOptions<DeliveryOptions>>().Value.MaxAttempts;
        foreach (var hook in hooks)
        {
            var url = $"/api/v1/webhooks/{hook.Id}/logs";
            await Eventually.TrueAsync(async () => (await admin.ListAsync<WebhookLog>(url)).Count >= attempts, what: $"{attempts} attempts to {hook.Uri}");
            var logs = await admin.ListAsync<WebhookLog>(url);
            Assert.Equal(attempts, logs.Count);
            Assert.All(logs, l => Assert.Equal((false, 0), (l.IsSuccessful, l.ResponseCode)));
            Assert.All(logs, l => Assert.Contains(
                hook.Uri.Contains("localhost.") && !Resolves("localhost.") ? "Name or service not known" : "private networks are not allowed", l.Reason));
        }
        var exhausted = await fx.Guarded.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM deliveries WHERE workspace_id = '{workspace}' AND status = 2 AND attempts = {attempts}");
        Assert.Equal(hooks.Count, exhausted);
        Assert.Equal(before, fx.Trap.Accepted);
    }

    private static bool Resolves(string host)
    {
        try { return Dns.GetHostAddresses(host).Length > 0; }
        catch (SocketException) { return false; }
    }
}
