using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<Process, bool> Running = new();
    private readonly Process _process;
    private readonly Dictionary<string, string> _environment;
    private HttpClient? _metrics;

    private HooklineNode(Process process, HttpClient client, Dictionary<string, string> environment) =>
        (_process, Client, _environment) = (process, client, environment);

    public HttpClient Client { get; }
    public string Token => Client.DefaultRequestHeaders.Authorization!.Parameter!;
    public int ProcessId => _process.Id;

    /// <summary>The Release build next to the bench, unless <c>--hookline</c> names another (a ReadyToRun publish, say).</summary>
    public static string Dll { get; set; } = typeof(HooklineNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "HooklineDll").Value!;

    /// <summary>Environment given to every Hookline process after the workload's own (<c>--node-env</c>).</summary>
    public static Dictionary<string, string> ExtraEnvironment { get; } = [];

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
        foreach (var (k, v) in ExtraEnvironment) info.Environment[k] = v;
        var process = Process.Start(info)!;
        Running.TryAdd(process, true);
        var environment = info.Environment.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!);
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
        return new HooklineNode(process, client, environment);
    }

    private static async Task<string> RunCliAsync(Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        info.Environment.Remove("ASPNETCORE_URLS");
        using var cli = Process.Start(info)!;
        var output = cli.StandardOutput.ReadToEndAsync();
        var errors = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        if (cli.ExitCode != 0) throw new InvalidOperationException($"hookline {string.Join(' ', args)}: {await errors}");
        return (await output).TrimEnd().Split('\n')[^1].Trim();
    }

    /// <summary>How many methods the node's JIT has compiled so far, from its /metrics (the runtime's own counter).</summary>
    public async Task<long> JitCompiledMethodsAsync() => (long)(await MetricsAsync())["dotnet_jit_compiled_methods_total"];

    /// <summary>The node's /metrics samples, each summed over its labels.</summary>
    public async Task<Dictionary<string, double>> MetricsAsync()
    {
        if (_metrics is null)
        {
            // A system token to read /metrics with, made by the CLI beside the running node (after its first start, which
            // makes the admin token only on a database without tokens), on first use: the quick mode mostly does without.
            var token = await RunCliAsync(_environment, "tokens", "create", "--permissions", "metrics:read", "--name", "bench");
            _metrics = new HttpClient { BaseAddress = Client.BaseAddress };
            _metrics.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var samples = new Dictionary<string, double>();
        foreach (var line in (await _metrics.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var labels = line.IndexOf('{');
            var name = labels < 0 ? line[..line.IndexOf(' ')] : line[..labels];
            // The last brace: label values may hold some (http_route="/api/v1/webhooks/{id}/policy").
            var value = (labels < 0 ? line[name.Length..] : line[(line.LastIndexOf('}') + 1)..]).Trim().Split(' ')[0];
            samples[name] = samples.GetValueOrDefault(name) + double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return samples;
    }

    public async Task CreateWebhooksAsync(string uri, int count, string events = "task_added")
    {
        var form = JsonSerializer.Serialize(new { name = "bench", uri, events, isActive = true, authenticationType = "none" });
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

    /// <summary>Ends every node still running, for a bench that is being ended itself (Ctrl-C, a kill): none is left serving.</summary>
    public static void KillAll()
    {
        foreach (var process in Running.Keys)
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        Running.TryRemove(_process, out _);
        Client.Dispose();
        _metrics?.Dispose();
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
