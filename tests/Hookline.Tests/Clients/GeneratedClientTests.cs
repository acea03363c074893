using System.Diagnostics;
using System.Text.Json;
using Hookline.Tests.Support;

namespace Hookline.Tests.Clients;

/// <summary>
/// TypeScript clients generated from the document the running server serves — openapi-typescript with openapi-fetch, and
/// @hey-api/openapi-ts — type-check a program that uses them (Clients/client.ts, strict mode) and work against that server:
/// create, list with filterby and orderby, read back, and awork's errors typed as ErrorResponse. ./test.sh installs the tools
/// with npm; without them the test is skipped, saying so.
/// </summary>
public sealed class GeneratedClientTests : IDisposable
{
    public static string Tools => Environment.GetEnvironmentVariable("HOOKLINE_TEST_CLIENTS") ?? "";

    private readonly TempDatabase _database = new();
    private readonly string _work = Directory.CreateTempSubdirectory("hookline-clients-").FullName;

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [ClientsFact]
    public async Task ClientsGeneratedFromTheServedDocumentCompileStrictAndWorkAgainstTheServer()
    {
        using var server = await HooklineServer.StartAsync(new Dictionary<string, string> { ["Hookline__Database__ConnectionString"] = _database.Path });
        var token = server.Output.Select(l => l.Trim()).Single(l => l.StartsWith("hl_", StringComparison.Ordinal));
        using (var http = new HttpClient())
            await File.WriteAllTextAsync(Path.Combine(_work, "api.json"), await http.GetStringAsync($"{server.Url}/openapi/v1.json"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Clients", "client.ts"), Path.Combine(_work, "client.ts"));
        File.CreateSymbolicLink(Path.Combine(_work, "node_modules"), Path.Combine(Tools, "node_modules"));

        await RunAsync("openapi-typescript", "api.json", "-o", "api.d.ts");
        await RunAsync("openapi-ts", "-i", "api.json", "-o", "hey");
        await RunAsync("tsc", "--strict", "--skipLibCheck", "--module", "commonjs", "--moduleResolution", "node10", "--esModuleInterop",
            "--target", "es2022", "--outDir", "out", "client.ts");
        var output = await RunAsync("node", Path.Combine("out", "client.js"), server.Url, token);

        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("""["from hey-api","from openapi-fetch"]""", result.GetProperty("listed").GetRawText());
        Assert.Equal("""["from openapi-fetch","from hey-api"]""", result.GetProperty("heyListed").GetRawText());
        Assert.Equal("from hey-api", result.GetProperty("readBack").GetString());
        Assert.Equal("from openapi-fetch", result.GetProperty("heyReadBack").GetString());
        Assert.Equal(0, result.GetProperty("logs").GetInt32());
        Assert.Equal("""[404,"not-found"]""", result.GetProperty("missing").GetRawText());
        Assert.Equal("""[400,"validation-failed",["name","uri"]]""", result.GetProperty("invalid").GetRawText());
    }

    /// <summary>Runs a tool from the npm folder (or node itself) in the work folder; its standard output, once it succeeded.</summary>
    private async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var program = tool == "node" ? "node" : Path.Combine(Tools, "node_modules", ".bin", tool);
        var info = new ProcessStartInfo(program) { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{tool} failed ({process.ExitCode}): {await output}{await errors}");
        return await output;
    }
}

public sealed class ClientsFactAttribute : FactAttribute
{
    public ClientsFactAttribute() => Skip = File.Exists(Path.Combine(GeneratedClientTests.Tools, "node_modules", ".bin", "tsc")) ? null
        : "needs the TypeScript client generators: run ./test.sh (it installs them with npm), or set HOOKLINE_TEST_CLIENTS to a folder holding them";
}
