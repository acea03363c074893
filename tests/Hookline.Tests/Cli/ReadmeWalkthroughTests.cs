using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hookline.Tests.Support;
using Xunit.Abstractions;

namespace Hookline.Tests.Cli;

/// <summary>
/// The README's "Five minutes with curl", run block by block as a newcomer pastes it: each <c>sh</c> block in bash, in one
/// folder, with only what a machine running the test must change (the ports taken, <c>dotnet run --project src/Hookline
/// --</c> as the built binary, the token filled in). Each output block shown must match what really came out: text
/// line by line in order (… stands for anything, runs of spaces for any), JSON value by value (ids and times only by kind).
/// </summary>
public sealed partial class ReadmeWalkthroughTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hookline-readme-").FullName;
    private readonly int _receiverPort = HooklineServer.FreePort();
    private readonly List<Process> _background = [];
    private readonly ConcurrentQueue<string> _receiverOutput = new();
    private HooklineServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        foreach (var p in _background) { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } p.Dispose(); }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task TheWalkthroughWorksAsWrittenAndShowsWhatReallyComesOut()
    {
        var blocks = WalkthroughBlocks();
        Assert.True(blocks.Count >= 10, $"found {blocks.Count} blocks");
        string? token = null;
        var outputs = new List<Func<string>>(); // where a shown output may have come from, newest last
        foreach (var (language, text) in blocks)
        {
            var code = Local(text);
            if (language == "sh" && StartLine().Match(code.Trim()) is { Success: true } start)
            {
                var environment = start.Groups["env"].Captures.ToDictionary(c => c.Value.Split('=')[0], c => c.Value.Split('=', 2)[1].Trim());
                _server?.Dispose();
                _server = await HooklineServer.StartAsync(environment, _folder);
                var server = _server;
                outputs.Add(() => string.Join('\n', server.Output));
                await Eventually.TrueAsync(() => server.Output.Any(l => l.Trim().StartsWith("hl_", StringComparison.Ordinal)), 20, "the token");
                token = server.Output.Select(l => l.Trim()).Single(l => l.StartsWith("hl_", StringComparison.Ordinal));
            }
            else if (language == "sh" && code.TrimStart().StartsWith("TOKEN=", StringComparison.Ordinal))
                Assert.Contains("<", code); // a placeholder to fill in, quoted so that a paste does not redirect; the test fills it
            else if (language == "sh" && code.Contains("python3 recv.py"))
                outputs.Add(StartReceiver(code));
            else if (language == "sh")
            {
                var (exit, stdout, stderr) = await BashAsync(code, token!);
                output.WriteLine($"$ {code}\n{stdout}{stderr}");
                Assert.True(exit == 0, $"exit {exit}: {code}\n{stderr}");
                outputs.Add(() => stdout);
            }
            else
            {
                var expected = Local(text);
                await Eventually.TrueAsync(() => outputs.Any(o => Shows(language, expected, o())), 20,
                    $"the output the README shows:\n{expected}\nin one of:\n{string.Join("\n---\n", outputs.Select(o => o()))}");
            }
        }
    }

    /// <summary>The fenced blocks of the walk-through, in order.</summary>
    private static List<(string Language, string Text)> WalkthroughBlocks()
    {
        var readme = File.ReadAllText(Path.Combine(Repository(), "README.md"));
        var section = readme[readme.IndexOf("## Five minutes with curl", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        return Fence().Matches(section).Select(m => (m.Groups["lang"].Value, m.Groups["body"].Value)).ToList();
    }

    private static string Repository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "README.md"))) dir = dir.Parent!;
        return dir.FullName;
    }

    /// <summary>What this machine changes: the ports (5080 and 9000 may be taken) and the CLI as the built binary.</summary>
    private string Local(string text) => text
        .Replace("http://localhost:5080", _server?.Url ?? "http://localhost:5080")
        .Replace("127.0.0.1:9000", $"127.0.0.1:{_receiverPort}")
        .Replace("(\"127.0.0.1\", 9000)", $"(\"127.0.0.1\", {_receiverPort})")
        .Replace("dotnet run --project src/Hookline --", $"dotnet \"{HooklineProcess.Dll}\"");

    private async Task<(int Exit, string StdOut, string StdErr)> BashAsync(string code, string token)
    {
        using var process = Process.Start(Bash(code, token))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private Func<string> StartReceiver(string code)
    {
        var process = Process.Start(Bash(code.Replace("python3 recv.py", "exec python3 -u recv.py"), ""))!;
        _background.Add(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _receiverOutput.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        return () => string.Join('\n', _receiverOutput);
    }

    private ProcessStartInfo Bash(string code, string token)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = _folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(code);
        info.Environment["TOKEN"] = token;
        return info;
    }

    /// <summary>Whether <paramref name="actual"/> shows what the README's block does.</summary>
    private static bool Shows(string language, string expected, string actual) =>
        language == "json" ? JsonValues(actual).Any(v => SameJson(JsonDocument.Parse(expected).RootElement, v)) : ShowsLines(expected, actual);

    /// <summary>Every shown line matches a real line, in order; … is anything, a run of spaces any run of spaces.</summary>
    private static bool ShowsLines(string expected, string actual)
    {
        var lines = actual.Split('\n').Select(l => l.Trim()).ToList();
        var at = 0;
        foreach (var shown in expected.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var pattern = new Regex("^" + string.Join(".*?", shown.Split('…').Select(p => Spaces().Replace(Regex.Escape(p), @"\s+"))) + "$");
            while (at < lines.Count && !pattern.IsMatch(lines[at])) at++;
            if (at++ >= lines.Count) return false;
        }
        return true;
    }

    /// <summary>The JSON values in a command's output, one after the other (curl prints two answers with nothing between).</summary>
    private static List<JsonElement> JsonValues(string text)
    {
        var values = new List<JsonElement>();
        var start = text.IndexOfAny(['{', '[']);
        if (start < 0) return values;
        var bytes = Encoding.UTF8.GetBytes(text[start..]);
        for (var at = 0; at < bytes.Length;)
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(at));
            try { values.Add(JsonElement.ParseValue(ref reader)); }
            catch (JsonException) { break; } // text that is not JSON
            at += (int)reader.BytesConsumed;
            while (at < bytes.Length && char.IsWhiteSpace((char)bytes[at])) at++;
        }
        return values;
    }

    /// <summary>Same keys and values; a value that is an id, a time or a trace id, or has … in it, only of the same kind.</summary>
    private static bool SameJson(JsonElement shown, JsonElement real)
    {
        if (shown.ValueKind != real.ValueKind) return false;
        return shown.ValueKind switch
        {
            JsonValueKind.Object => shown.EnumerateObject().Select(p => p.Name).Order().SequenceEqual(real.EnumerateObject().Select(p => p.Name).Order())
                && shown.EnumerateObject().All(p => SameJson(p.Value, real.GetProperty(p.Name))),
            JsonValueKind.Array => shown.GetArrayLength() == real.GetArrayLength()
                && shown.EnumerateArray().Zip(real.EnumerateArray()).All(pair => SameJson(pair.First, pair.Second)),
            JsonValueKind.String => Varies().IsMatch(shown.GetString()!) || shown.GetString() == real.GetString(),
            _ => shown.GetRawText() == real.GetRawText(),
        };
    }

    [GeneratedRegex(@"```(?<lang>\w+)\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"^(?<env>\w+=\S+ )*dotnet run --project src/Hookline$")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"(\\ )+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"…|^[0-9a-f]{8}-[0-9a-f]{4}-|^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$|^[0-9a-f]{32}$")]
    private static partial Regex Varies();
}
