using System.Net;
using System.Net.Sockets;
using System.Text;
using Hookline.Delivery;
using Xunit;

using Hookline.Tests.Support;

namespace Hookline.Tests.Delivery;

// Every connection these tests make stays on loopback; "public" behaviour is checked through Classify alone.
public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2001:4860:4860::8888")]
    [InlineData("11.0.0.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.169.0.1")]
    [InlineData("198.20.0.1", "223.255.255.255", "2001:200::1", "2a00:1450:4001::1")]
    [InlineData("::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1")] // mapped, NAT64 and 6to4 forms of 8.8.8.8
    public void Classify_returns_null_for_public_unicast_addresses(params string[] addresses) =>
        Assert.All(addresses, address => Assert.Null(NetworkGuard.Classify(IPAddress.Parse(address))));

    [Theory]
    [InlineData("unspecified", "0.0.0.0", "0.1.2.3", "::")]
    [InlineData("loopback", "127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "::127.0.0.1")]
    [InlineData("private", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1", "::ffff:10.1.2.3")]
    [InlineData("carrier-grade NAT", "100.64.0.1", "100.127.255.255")]
    [InlineData("cloud metadata", "169.254.169.254", "168.63.129.16", "fd00:ec2::254", "::ffff:169.254.169.254")]
    [InlineData("link-local", "169.254.0.1", "169.254.169.253", "fe80::1", "fe80::1%1", "febf:ffff::1")]
    [InlineData("documentation", "192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1")]
    [InlineData("benchmarking", "198.18.0.1", "198.19.255.255")]
    [InlineData("multicast", "224.0.0.1", "239.255.255.250", "ff02::1")]
    [InlineData("broadcast", "255.255.255.255")]
    [InlineData("reserved", "192.0.0.8", "192.88.99.1", "240.0.0.1", "255.255.255.254")]
    [InlineData("reserved", "::8.8.8.8", "64:ff9b:1::1", "100::1", "2001::1", "2001:1ff::1", "4000::1")]
    [InlineData("unique local", "fc00::1", "fd12:3456::1", "fd00:ec2::253")]
    [InlineData("site-local", "fec0::1")]
    [InlineData("NAT64 loopback", "64:ff9b::7f00:1")]
    [InlineData("NAT64 cloud metadata", "64:ff9b::a9fe:a9fe")]
    [InlineData("6to4 loopback", "2002:7f00:1::1")]
    [InlineData("6to4 private", "2002:c0a8:101::1")]
    public void Classify_names_the_category_of_non_public_addresses(string category, params string[] addresses) =>
        Assert.All(addresses, address => Assert.Equal(category, NetworkGuard.Classify(IPAddress.Parse(address))));

    [Theory]
    [InlineData("http://127.1/")]
    [InlineData("http://2130706433/")]
    [InlineData("http://0x7f000001/")]
    [InlineData("http://017700000001/")]
    [InlineData("http://0177.0.0.1/")]
    public void Uri_canonicalises_shorthand_ipv4_spellings_to_the_dotted_quad(string url)
    {
        var uri = new Uri(url);
        Assert.Equal(UriHostNameType.IPv4, uri.HostNameType);
        Assert.Equal("127.0.0.1", uri.Host);
    }

    [Fact]
    public void A_name_with_one_private_address_among_public_ones_is_refused()
    {
        IPAddress[] addresses = [IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.0.0.1"), IPAddress.Parse("1.1.1.1")];

        var refused = Assert.Throws<RefusedAddressException>(() => NetworkGuard.EnsurePublic("mixed.example", addresses));

        Assert.Equal(("mixed.example", addresses[1], "private"), (refused.Host, refused.Address, refused.Category));
        Assert.Equal(
            "Refused to connect to mixed.example (10.0.0.1, a private address): private networks are not allowed. "
            + "Set Hookline:Delivery:AllowPrivateNetworks=true to allow them.",
            refused.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/", "loopback")]
    [InlineData("http://localhost:{port}/", "loopback")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/", "loopback")]
    [InlineData("http://127.1:{port}/", "loopback")]
    [InlineData("http://2130706433:{port}/", "loopback")]
    [InlineData("http://0x7f000001:{port}/", "loopback")]
    [InlineData("http://017700000001:{port}/", "loopback")]
    [InlineData("http://0177.0.0.1:{port}/", "loopback")]
    [InlineData("http://[::1]:{port}/", "loopback")]
    [InlineData("http://0.0.0.0:{port}/", "unspecified")] // Linux connects 0.0.0.0 to this host
    [InlineData("http://[fe80::1%251]:{port}/", "link-local")] // scope id 1, percent-encoded as URIs require
    public async Task Non_public_addresses_are_refused_before_any_connection_is_made(string url, string category)
    {
        await using var server = Trap.Start();
        using var client = Client(allowPrivate: false);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(url.Replace("{port}", $"{server.Port}")));

        var refused = Assert.Single(InnerChain(error).OfType<RefusedAddressException>());
        Assert.Equal(category, refused.Category);
        Assert.Equal(0, server.Accepted);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/")]
    [InlineData("http://localhost:{port}/")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/")]
    [InlineData("http://2130706433:{port}/")]
    [InlineData("http://[::1]:{port}/")]
    public async Task Loopback_is_reached_when_private_networks_are_allowed(string url)
    {
        await using var server = Trap.Start();
        if (url.Contains("[::1]") && !server.ListensOnIPv6)
            return; // no IPv6 loopback here; the refusal test above still covers [::1]
        using var client = Client(allowPrivate: true);

        using var response = await client.GetAsync(url.Replace("{port}", $"{server.Port}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.Accepted);
    }

    // No proxy: with one, the callback would be handed the proxy's address instead of the target's.
    private static HttpClient Client(bool allowPrivate) => new(new SocketsHttpHandler
    {
        ConnectCallback = NetworkGuard.ConnectCallback(allowPrivate),
        AllowAutoRedirect = false,
        UseProxy = false,
    }) { Timeout = TimeSpan.FromSeconds(10) };

    private static IEnumerable<Exception> InnerChain(Exception error)
    {
        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
            yield return inner;
    }
}
