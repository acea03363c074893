using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hookline.Tests;

/// <summary>
/// Redocly's CLI (recommended rules) on the document the running server serves, as an outside tool sees it. ./test.sh
/// installs it with npm; without it the test is skipped, saying so.
/// </summary>
public sealed class OpenApiLintTests(ServedOpenApiDocument served) : IClassFixture<ServedOpenApiDocument>
{
    public static string Redocly => Environment.GetEnvironmentVariable("HOOKLINE_TEST_REDOCLY") ?? "";

    /// <summary>Rules whose findings are not fixed yet, each with the reason. Anything else fails the test.</summary>
    private static readonly Dictionary<string, string> Open = [];

    [RedoclyFact]
    public async Task TheServedDocumentHasNoErrorsOrWarningsOfRedoclysRecommendedRules()
    {
        var problems = await LintAsync(served.Document);
        Assert.True(problems.All(p => Open.ContainsKey(p.Rule)),
            "Redocly: " + string.Join("; ", problems.Where(p => !Open.ContainsKey(p.Rule)).Select(p => $"{p.Severity} {p.Rule}: {p.Message}")));
    }

    [RedoclyFact]
    public async Task RedoclyFindsWhatIsWrongWithABrokenDocument()
    {
        var broken = served.Document.DeepClone();
        broken["servers"]![0]!["url"] = "http://localhost/";
        broken["tags"]![0]!.AsObject().Remove("description");
        var rules = (await LintAsync(broken)).Select(p => p.Rule).ToList();
        Assert.Contains("no-server-trailing-slash", rules);
        Assert.Contains("tag-description", rules);
    }

    private static async Task<List<(string Rule, string Severity, string Message)>> LintAsync(JsonNode document)
    {
        var file = Path.Combine(Path.GetTempPath(), $"hookline-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        try
        {
            var info = new ProcessStartInfo(Redocly) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "lint", file, "--format=json", "--extends=recommended" }) info.ArgumentList.Add(argument);
            info.Environment["REDOCLY_TELEMETRY"] = "off";
            info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var redocly = Process.Start(info)!;
            var output = await redocly.StandardOutput.ReadToEndAsync();
            var errors = await redocly.StandardError.ReadToEndAsync();
            await redocly.WaitForExitAsync();
            Assert.True(output.Contains('{'), $"redocly printed no report: {errors}");
            return JsonDocument.Parse(output[output.IndexOf('{')..]).RootElement.GetProperty("problems").EnumerateArray()
                .Select(p => (p.GetProperty("ruleId").GetString()!, p.GetProperty("severity").GetString()!, p.GetProperty("message").GetString()!))
                .ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }
}

public sealed class RedoclyFactAttribute : FactAttribute
{
    public RedoclyFactAttribute() => Skip = File.Exists(OpenApiLintTests.Redocly) ? null
        : "needs Redocly's CLI: run ./test.sh (it installs @redocly/cli with npm), or set HOOKLINE_TEST_REDOCLY to its redocly program";
}
