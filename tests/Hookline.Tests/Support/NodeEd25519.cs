using System.Diagnostics;
using System.Text.Json;

namespace Hookline.Tests.Support;

/// <summary>
/// Standard Webhooks v1a (Ed25519) verification by Node's own crypto: code that is not Hookline's, as a receiver runs it.
/// ./test.sh installs Debian's nodejs; without node the tests that need it are skipped, saying so.
/// </summary>
public static class NodeEd25519
{
    public static string? SkipReason => Which("node") is null
        ? "needs Node.js (node on PATH) to verify Ed25519 signatures: run ./test.sh (it installs Debian's nodejs)" : null;

    private const string Script = """
        const { createPublicKey, verify } = require("node:crypto");
        let input = "";
        process.stdin.on("data", d => input += d).on("end", () => {
          const { publicKey, id, timestamp, body, header } = JSON.parse(input);
          const x = Buffer.from(publicKey.slice("whpk_".length), "base64").toString("base64url");
          const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
          const signed = Buffer.from(`${id}.${timestamp}.${body}`);
          const valid = header.split(" ").some(s => s.startsWith("v1a,") && verify(null, signed, key, Buffer.from(s.slice(4), "base64")));
          process.stdout.write(valid ? "valid" : "invalid");
        });
        """;

    /// <summary>Whether one of the header's v1a signatures verifies with <paramref name="publicKey"/> (whpk_…).</summary>
    public static async Task<bool> VerifyAsync(string publicKey, string id, string timestamp, string body, string header)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add(Script);
        using var node = Process.Start(info)!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new { publicKey, id, timestamp, body, header }));
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync();
        var errors = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, $"node failed: {errors}");
        return output switch { "valid" => true, "invalid" => false, _ => throw new InvalidOperationException($"node said '{output}'") };
    }

    private static string? Which(string program) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}

public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute() => Skip = NodeEd25519.SkipReason;
}
