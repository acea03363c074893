using System.Diagnostics;

namespace Hookline.Tests.Support;

/// <summary>Runs the built Hookline as a separate process, the way an operator does.</summary>
public static class HooklineProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Hookline.dll");

    public sealed record Output(int ExitCode, string StdOut, string StdErr)
    {
        public string LastLine => StdOut.TrimEnd().Split('\n').Last().Trim();
    }

    public static async Task<Output> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new(process.ExitCode, await stdout, await stderr);
    }
}
