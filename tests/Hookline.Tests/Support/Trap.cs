using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hookline.Tests.Support;

/// <summary>
/// A receiver that must not be reached: it listens on 127.0.0.1 and, on the same port where it can, ::1, counts every
/// connection accepted, and answers each with 200 so an unguarded delivery would count as a success.
/// </summary>
public sealed class Trap : IAsyncDisposable
{
    private static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpListener> _listeners = [];
    private readonly List<Task> _loops = [];
    private int _accepted;

    public int Port { get; private set; }
    public bool ListensOnIPv6 { get; private set; }
    public int Accepted => Volatile.Read(ref _accepted);

    public static Trap Start()
    {
        var trap = new Trap();
        trap.Listen(IPAddress.Loopback, 0);
        try
        {
            trap.Listen(IPAddress.IPv6Loopback, trap.Port);
            trap.ListensOnIPv6 = true;
        }
        catch (SocketException)
        {
            // No IPv6 loopback here, or the port is taken on it: the IPv4 listener still catches the IPv4 spellings.
        }
        return trap;
    }

    private void Listen(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listeners.Add(listener);
        _loops.Add(AcceptAsync(listener));
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        var open = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                // (InvalidOperationException: the listener was stopped before the accept began.)
                // One task per connection: a TLS hello that never completes a request must not hold up the next one.
                open.Add(AnswerAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        await Task.WhenAll(open);
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            // Read the whole request first: closing on unread data would reset the connection.
            var request = new StringBuilder();
            var buffer = new byte[4096];
            int end;
            while ((end = request.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            var length = System.Text.RegularExpressions.Regex.Match(request.ToString(), @"(?im)^content-length:\s*(\d+)") is { Success: true } m
                ? int.Parse(m.Groups[1].Value) : 0;
            var body = request.Length - end - 4;
            while (body < length && await stream.ReadAsync(buffer, _stop.Token) is > 0 and var more) body += more;
            await stream.WriteAsync(Ok, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners) listener.Stop();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
