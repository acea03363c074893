using System.Net;
using System.Net.Sockets;

namespace Hookline.Delivery;

/// <summary>
/// Keeps deliveries away from loopback, private and other non-public addresses (SSRF). The check runs in the
/// connect callback, on the very addresses the socket then connects to, so DNS cannot change its answer in between.
/// </summary>
public static class NetworkGuard
{
    // First match wins, so a specific range comes before the block that contains it.
    private static readonly (IPNetwork Network, string Category)[] V4Ranges =
    [
        (Net("0.0.0.0/8"), "unspecified"),
        (Net("10.0.0.0/8"), "private"),
        (Net("100.64.0.0/10"), "carrier-grade NAT"),
        (Net("127.0.0.0/8"), "loopback"),
        // Azure's host endpoint (WireServer): public-looking, but answers only from inside an Azure VM.
        (Net("168.63.129.16/32"), "cloud metadata"),
        (Net("169.254.169.254/32"), "cloud metadata"),
        (Net("169.254.0.0/16"), "link-local"),
        (Net("172.16.0.0/12"), "private"),
        (Net("192.0.0.0/24"), "reserved"), // IETF protocol assignments
        (Net("192.0.2.0/24"), "documentation"),
        (Net("192.88.99.0/24"), "reserved"), // 6to4 relay anycast
        (Net("192.168.0.0/16"), "private"),
        (Net("198.18.0.0/15"), "benchmarking"),
        (Net("198.51.100.0/24"), "documentation"),
        (Net("203.0.113.0/24"), "documentation"),
        (Net("224.0.0.0/4"), "multicast"),
        (Net("255.255.255.255/32"), "broadcast"),
        (Net("240.0.0.0/4"), "reserved"),
    ];

    private static readonly (IPNetwork Network, string Category)[] V6Ranges =
    [
        (Net("::/128"), "unspecified"),
        (Net("::1/128"), "loopback"),
        (Net("100::/64"), "reserved"), // discard-only
        (Net("2001:db8::/32"), "documentation"),
        (Net("2001::/23"), "reserved"), // IETF protocol assignments, Teredo (2001::/32) included
        (Net("3fff::/20"), "documentation"),
        (Net("fd00:ec2::254/128"), "cloud metadata"), // AWS instance metadata over IPv6
        (Net("fc00::/7"), "unique local"),
        (Net("fe80::/10"), "link-local"),
        (Net("fec0::/10"), "site-local"),
        (Net("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Compatible = Net("::/96");
    private static readonly IPNetwork Nat64 = Net("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = Net("2002::/16");
    private static readonly IPNetwork GlobalUnicast = Net("2000::/3");

    /// <summary>Null for a public unicast address; otherwise a short category such as "loopback" or "private".</summary>
    public static string? Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => Match(V4Ranges, address),
            AddressFamily.InterNetworkV6 => ClassifyV6(address),
            _ => "reserved",
        };
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host, refuses it unless private networks
    /// are allowed when any of its addresses is not public, and connects to those same addresses in order.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivate) =>
        (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivate, cancellationToken);

    /// <summary>Throws for the first address that is not public. Refusing the whole name, rather than filtering its
    /// addresses, keeps a name that mixes public and private addresses from reaching the private ones.</summary>
    internal static void EnsurePublic(string host, IEnumerable<IPAddress> addresses)
    {
        foreach (var address in addresses)
        {
            if (Classify(address) is { } category)
                throw new RefusedAddressException(host, address, category);
        }
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(endPoint.Host, cancellationToken);
        if (!allowPrivate)
            EnsurePublic(endPoint.Host, addresses);

        // Dual-mode where IPv6 exists, so one socket serves both families.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        // Takes shorthand IPv4 spellings (127.1, 0x7f000001) as the OS resolver would, and the scope id of a literal
        // such as [fe80::1%25eth0], which arrives still percent-encoded.
        if (IPAddress.TryParse(Uri.UnescapeDataString(host), out var literal))
            return [literal];
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return addresses.Length > 0 ? addresses : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static string? ClassifyV6(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            return Classify(address.MapToIPv4());
        if (Match(V6Ranges, address) is { } category)
            return category;

        // Checked after V6Ranges, because :: and ::1 also lie in the IPv4-compatible block.
        var bytes = address.GetAddressBytes();
        if (Compatible.Contains(address))
            return Classify(Embedded(bytes, 12)) ?? "reserved"; // deprecated; nothing public lives there
        if (Nat64.Contains(address))
            return Prefixed("NAT64", Embedded(bytes, 12));
        if (SixToFour.Contains(address))
            return Prefixed("6to4", Embedded(bytes, 2));
        return GlobalUnicast.Contains(address) ? null : "reserved";
    }

    private static string? Prefixed(string mechanism, IPAddress embedded) =>
        Classify(embedded) is { } category ? $"{mechanism} {category}" : null;

    private static IPAddress Embedded(byte[] bytes, int offset) => new(bytes.AsSpan(offset, 4));

    private static string? Match((IPNetwork Network, string Category)[] ranges, IPAddress address)
    {
        foreach (var (network, category) in ranges)
        {
            if (network.Contains(address))
                return category;
        }
        return null;
    }

    private static IPNetwork Net(string cidr) => IPNetwork.Parse(cidr);
}

/// <summary>Thrown by <see cref="NetworkGuard.ConnectCallback"/>; HttpClient surfaces it as the inner exception of an
/// <see cref="HttpRequestException"/>.</summary>
public sealed class RefusedAddressException(string host, IPAddress address, string category) : Exception(
    $"Refused to connect to {host} ({address}, a {category} address): private networks are not allowed. "
    + "Set Hookline:Delivery:AllowPrivateNetworks=true to allow them.")
{
    public string Host { get; } = host;
    public IPAddress Address { get; } = address;
    public string Category { get; } = category;
}
