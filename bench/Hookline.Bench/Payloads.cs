using System.Diagnostics;
using System.Text;

namespace Hookline.Bench;

/// <summary>Events with a 1 KiB entity, as the producing product would publish them.</summary>
public static class Payloads
{
    private static readonly string Pad = new('x', 900);

    public static string Event(int i, long sentAt = 0, string eventType = "task_added") =>
        $$$"""{"eventType":"{{{eventType}}}","entityId":"e{{{i}}}","entityType":"task","entityLink":"https://app.example/tasks/{{{i}}}","triggeredBy":{"firstName":"Bench","lastName":"Runner"},"entity":{"name":"Bench task {{{i}}}","sentAt":{{{sentAt}}},"pad":"{{{Pad}}}"}}""";

    public static byte[] Batch(int first, int count, string eventType = "task_added")
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < count; i++) sb.Append(i == 0 ? "" : ",").Append(Event(first + i, eventType: eventType));
        return Encoding.UTF8.GetBytes(sb.Append(']').ToString());
    }

    /// <summary>A 1 KiB JSON body like Hookline's deliveries, for the ceiling and the baseline.</summary>
    public static readonly string Delivery = Event(0, 0);

    public static long Now() => Stopwatch.GetTimestamp();
}
