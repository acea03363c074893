using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Hookline.Bench;

/// <summary>Hookline as its own process (Release build), on a fresh database, with a client holding its first-start token.</summary>
public sealed class HooklineNode : IAsyncDisposable
{
    private readonly Process _process;

    private HooklineNode(Process process, HttpClient client) => (_process, Client) = (process, client);

    public HttpClient Client { get; }
    public string Token => Client.DefaultRequestHeaders.Authorization!.Parameter!;
    public int ProcessId => _process.Id;

    public static string Dll => typeof(HooklineNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "HooklineDll").Value!;

    /// <summary>Starts Hookline; on a new database it waits for the printed first-start token, on an old one it needs none.</summary>
    public static async Task<HooklineNode> StartAsync(Store.Place place, IReadOnlyDictionary<string, string> settings, string? token = null)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        info.Environment["ASPNETCORE_URLS"] = url;
        foreach (var (k, v) in place.Settings) info.Environment[k] = v;
        info.Environment["Hookline__Delivery__AllowPrivateNetworks"] = "true";
        info.Environment["Hookline__RateLimits__PerSecond"] = "1000000";
        info.Environment["Hookline__RateLimits__PerMinute"] = "60000000";
        foreach (var (k, v) in settings) info.Environment[k] = v;
        var process = Process.Start(info)!;
        var tokenSeen = new TaskCompletionSource<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Trim() is { } line && line.StartsWith("hl_", StringComparison.Ordinal)) tokenSeen.TrySetResult(line);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  hookline: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        token ??= await tokenSeen.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        for (var i = 0; ; i++)
        {
            try { if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) break; }
            catch (HttpRequestException) when (i < 600) { }
            await Task.Delay(50);
        }
        return new HooklineNode(process, client);
    }

    public async Task CreateWebhooksAsync(string uri, int count)
    {
        var form = JsonSerializer.Serialize(new { name = "bench", uri, events = "task_added", isActive = true, authenticationType = "none" });
        for (var i = 0; i < count; i++)
        {
            var response = await Client.PostAsync("/api/v1/webhooks", new StringContent(form, Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>CPU time (user + system) the Hookline process has used so far, from /proc.</summary>
    public double CpuSeconds()
    {
        var fields = File.ReadAllText($"/proc/{_process.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0; // utime, stime in clock ticks (USER_HZ = 100)
    }

    /// <summary>Peak resident memory (VmHWM) of the Hookline process so far.</summary>
    public double PeakRssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
