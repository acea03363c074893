using System.Threading.Channels;

namespace Hookline.Storage;

/// <summary>Wakes the delivery workers of this process when events were committed; polling is only the backstop.</summary>
public sealed class DeliverySignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>Completes when notified (consuming the signal) or when <paramref name="timeout"/> passes on <paramref name="time"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (_channel.Reader.TryRead(out _)) return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var signalled = _channel.Reader.WaitToReadAsync(linked.Token).AsTask();
        var elapsed = Task.Delay(timeout, time, linked.Token);
        await Task.WhenAny(signalled, elapsed);
        await linked.CancelAsync();
        _channel.Reader.TryRead(out _);
        ct.ThrowIfCancellationRequested();
    }
}
