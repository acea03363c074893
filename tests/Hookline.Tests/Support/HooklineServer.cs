using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hookline.Tests.Support;

/// <summary>Hookline as a separate OS process on a loopback port, so a test can SIGKILL it and start it again.</summary>
public sealed class HooklineServer : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private HooklineServer(Process process, string url, ConcurrentQueue<string> output)
    {
        _process = process;
        _output = output;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Every line the process wrote to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => _output.ToArray();

    /// <param name="workingDirectory">Where relative paths (the default data/hookline.db) land; the test's own folder if null.</param>
    public static async Task<HooklineServer> StartAsync(IReadOnlyDictionary<string, string> environment, string? workingDirectory = null)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(HooklineProcess.Dll);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        info.Environment["ASPNETCORE_URLS"] = url;
        info.Environment.TryAdd("Logging__LogLevel__Default", "Warning");
        var process = Process.Start(info)!;
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Hookline exited at start with code {process.ExitCode}.");
            try
            {
                if ((await http.GetAsync($"{url}/health/ready")).StatusCode == HttpStatusCode.OK) return new HooklineServer(process, url, output);
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) { process.Kill(true); throw new TimeoutException("Hookline did not become ready."); }
            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops it: shutdown code runs and buffered log lines are written.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
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
