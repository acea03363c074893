using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Hookline.Tests;

/// <summary>Serves Hookline once, on a throwaway SQLite file, and keeps its <c>/openapi/v1.json</c>.</summary>
public sealed class ServedOpenApiDocument : IAsyncLifetime
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"hookline-openapi-{Guid.NewGuid():N}.db");

    public JsonNode Document { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            b.UseSetting("Hookline:Database:ConnectionString", $"Data Source={_databasePath}"));
        // Asked for as a deployment is, at its own name (the document's server is the address it was asked at).
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://hooks.acme.test") });
        Document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _databasePath, _databasePath + "-wal", _databasePath + "-shm" }) File.Delete(file);
        return Task.CompletedTask;
    }
}

public sealed class OpenApiContractTests(ServedOpenApiDocument served) : IClassFixture<ServedOpenApiDocument>
{
    private static JsonNode LoadContract() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "awork-webhooks-openapi.json")))!;

    [Fact]
    public async Task TheDocumentStatesTheLicenseTheOperatorNamesAndProprietaryUntilThen()
    {
        Assert.Equal("""{"name":"Proprietary","identifier":"LicenseRef-Proprietary"}""", served.Document["info"]!["license"]!.ToJsonString());
        var database = Path.Combine(Path.GetTempPath(), $"hookline-openapi-{Guid.NewGuid():N}.db");
        try
        {
            await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
                .UseSetting("Hookline:Database:ConnectionString", $"Data Source={database}").UseSetting("Hookline:OpenApi:License", "Apache-2.0"));
            var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;
            Assert.Equal("""{"name":"Apache-2.0","identifier":"Apache-2.0"}""", document["info"]!["license"]!.ToJsonString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in new[] { database, database + "-wal", database + "-shm" }) File.Delete(file);
        }
    }

    [Fact]
    public void ServedDocumentDescribesEverythingInAworksContract()
    {
        var mismatches = OpenApiSuperset.Mismatches(LoadContract(), served.Document);
        Assert.True(mismatches.Count == 0,
            $"Hookline's OpenAPI document differs from awork's contract in {mismatches.Count} place(s):\n  " + string.Join("\n  ", mismatches));
    }

    [Fact]
    public void EverySchemaPropertyAndOperationIsDescribed()
    {
        var undescribed = new List<string>();
        foreach (var (name, schema) in served.Document["components"]!["schemas"]!.AsObject())
        {
            if (schema!["properties"] is not JsonObject properties) continue;
            if (schema["description"] is null) undescribed.Add(name);
            foreach (var (property, value) in properties)
                if (!Described(value!)) undescribed.Add($"{name}.{property}");
        }
        foreach (var (path, item) in served.Document["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
                if (operation!["summary"] is null) undescribed.Add($"{method.ToUpperInvariant()} {path}");
        Assert.True(undescribed.Count == 0, "No description: " + string.Join(", ", undescribed));
        foreach (var tag in served.Document["tags"]!.AsArray()) Assert.NotNull(tag!["description"]);
        Assert.DoesNotMatch("/$", served.Document["servers"]![0]!["url"]!.GetValue<string>());
        foreach (var name in new[] { "WebhookConfig", "WebhookConfigForm", "WebhookLog", "ErrorResponse" })
            Assert.Contains(served.Document["components"]!["schemas"]![name]!["properties"]!.AsObject(), p => p.Value!["examples"] is not null);
    }

    /// <summary>A property's own description, or one on the schema a nullable property wraps.</summary>
    private static bool Described(JsonNode property) => property["description"] is not null ||
        (property["oneOf"] ?? property["anyOf"]) is JsonArray branches && branches.Any(b => b?["description"] is not null);

    [Fact]
    public void ResponsesDeclareTheirHeadersAndBodiesTheir415()
    {
        foreach (var (path, item) in served.Document["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
            {
                var at = $"{method.ToUpperInvariant()} {path}";
                var responses = operation!["responses"]!.AsObject();
                foreach (var (status, response) in responses)
                {
                    var headers = response!["headers"]?.AsObject();
                    Assert.True(headers?.ContainsKey("Trace-Id") == true, $"{at} {status}: Trace-Id");
                    Assert.True(headers!.ContainsKey("RateLimit-Remaining"), $"{at} {status}: RateLimit-Remaining");
                    if (status == "429") Assert.True(headers.ContainsKey("Retry-After"), $"{at} 429: Retry-After");
                }
                if (operation["requestBody"] is not null)
                    Assert.True(responses["415"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>() == "#/components/schemas/ErrorResponse",
                        $"{at}: 415 with an ErrorResponse");
            }
        var list = served.Document["paths"]!["/api/v1/webhooks"]!["get"]!["responses"]!["200"]!["headers"]!.AsObject();
        Assert.True(list.ContainsKey("aw-totalitems") && list.ContainsKey("aw-page"), "paging headers on the list");
    }

    // Each mutation breaks the contract copy in a way Hookline's document cannot satisfy; the comparer must say so.
    private static readonly Dictionary<string, (Action<JsonNode> Break, string Expected)> Breaks = new()
    {
        ["fake required property"] = (c => c["components"]!["schemas"]!["WebhookConfig"]!["required"]!.AsArray().Add("ownerId"),
            "WebhookConfig: 'ownerId' is required"),
        ["property type"] = (c => c["components"]!["schemas"]!["WebhookLog"]!["properties"]!["isSuccessful"]!["type"] = "string",
            "WebhookLog.isSuccessful: type is boolean"),
        ["property format"] = (c => c["components"]!["schemas"]!["WebhookConfig"]!["properties"]!["createdOn"]!["format"] = "date",
            "WebhookConfig.createdOn: format is date-time"),
        ["nullable property"] = (c => c["components"]!["schemas"]!["ErrorResponse"]!["properties"]!["code"]!["nullable"] = true,
            "ErrorResponse.code: does not allow null"),
        ["non-nullable property"] = (c => c["components"]!["schemas"]!["ErrorResponse"]!["properties"]!["traceId"]!.AsObject().Remove("nullable"),
            "ErrorResponse.traceId: allows null"),
        ["missing property"] = (c => c["components"]!["schemas"]!["WebhookLog"]!["properties"]!["replayOf"] = new JsonObject { ["type"] = "string" },
            "WebhookLog.replayOf: missing"),
        ["missing schema"] = (c => c["components"]!["schemas"]!["WebhookReplayForm"] = new JsonObject { ["type"] = "object" },
            "WebhookReplayForm: schema missing"),
        ["missing path"] = (c => c["paths"]!["/webhooks/{webhookId}/replay"] = new JsonObject { ["post"] = new JsonObject { ["responses"] = new JsonObject() } },
            "POST /webhooks/{webhookId}/replay: missing"),
        ["path parameter name"] = (c => c["paths"]!["/webhooks/{id}/logs"] = c["paths"]!["/webhooks/{webhookId}/logs"]!.DeepClone(),
            "GET /webhooks/{id}/logs: missing"),
        ["parameter location"] = (c => c["components"]!["parameters"]!["page"]!["in"] = "header",
            "GET /webhooks: parameter 'page' is in query"),
        ["response status"] = (c => c["paths"]!["/webhooks/eventtypes"]!["get"]!["responses"]!["404"] = new JsonObject { ["description"] = "Not Found" },
            "GET /webhooks/eventtypes: response 404 missing"),
        ["response shape"] = (c => c["paths"]!["/webhooks/{webhookId}/logs"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"] =
            new JsonObject { ["$ref"] = "#/components/schemas/WebhookLog" }, "GET /webhooks/{webhookId}/logs: response 200 is array<WebhookLog>"),
        ["request body schema"] = (c => c["paths"]!["/webhooks"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"] =
            "#/components/schemas/WebhookSlackConfigForm", "POST /webhooks: request body is WebhookConfigForm"),
    };

    public static TheoryData<string> BreakNames => new(Breaks.Keys);

    [Theory]
    [MemberData(nameof(BreakNames))]
    public void ComparerReportsABrokenContract(string breakName)
    {
        var (breakIt, expected) = Breaks[breakName];
        var contract = LoadContract();
        var before = OpenApiSuperset.Mismatches(contract, served.Document);
        breakIt(contract);
        var introduced = OpenApiSuperset.Mismatches(contract, served.Document).Except(before).ToList();
        Assert.Contains(introduced, m => m.Contains(expected, StringComparison.Ordinal));
    }
}

/// <summary>
/// Lists every way an OpenAPI 3.1 document (Hookline's) fails to describe all of an OpenAPI 3.0 contract (awork's):
/// paths, operations, parameters, responses, request bodies and component schemas.
/// </summary>
internal static class OpenApiSuperset
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    /// <summary>awork's schemas that Hookline's document leaves out on purpose, each with the reason.</summary>
    public static readonly Dictionary<string, string> Omitted = new()
    {
        ["WebhookSlackConfigForm"] = "none of awork's paths uses it; an unused component is a warning of redocly's recommended rules",
    };

    public static List<string> Mismatches(JsonNode contract, JsonNode served)
    {
        var found = new List<string>();
        var basePath = new Uri(contract["servers"]?[0]?["url"]?.GetValue<string>() ?? "http://host/").AbsolutePath.TrimEnd('/');
        foreach (var (path, contractItem) in contract["paths"]!.AsObject())
        {
            var servedItem = FindPath(served, basePath + path);
            foreach (var method in Methods.Where(m => contractItem![m] is not null))
            {
                var at = $"{method.ToUpperInvariant()} {path}";
                if (servedItem?[method] is not { } servedOperation) { found.Add($"{at}: missing"); continue; }
                CompareOperation(at, contract, contractItem!, contractItem![method]!, served, servedItem, servedOperation, found);
            }
        }
        var servedSchemas = served["components"]?["schemas"];
        foreach (var (name, contractSchema) in contract["components"]?["schemas"]?.AsObject() ?? [])
        {
            if (Omitted.ContainsKey(name)) continue;
            if (servedSchemas?[name] is not { } servedSchema) { found.Add($"{name}: schema missing"); continue; }
            CompareSchema(name, contractSchema!, servedSchema, found);
        }
        return found;
    }

    // Literal segments compare case-insensitively (ASP.NET routing does); parameter segments must carry the same name.
    private static JsonNode? FindPath(JsonNode served, string path)
    {
        static bool SameSegment(string a, string b) => a.StartsWith('{') ? a == b : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        var wanted = path.Split('/');
        return served["paths"]!.AsObject().FirstOrDefault(p =>
        {
            var segments = p.Key.Split('/');
            return segments.Length == wanted.Length && segments.Zip(wanted).All(s => SameSegment(s.First, s.Second));
        }).Value;
    }

    private static void CompareOperation(string at, JsonNode contract, JsonNode contractItem, JsonNode contractOperation,
        JsonNode served, JsonNode servedItem, JsonNode servedOperation, List<string> found)
    {
        var servedParameters = Parameters(served, servedItem, servedOperation).ToDictionary(p => (string)p["name"]!);
        foreach (var parameter in Parameters(contract, contractItem, contractOperation))
        {
            var name = (string)parameter["name"]!;
            if (!servedParameters.TryGetValue(name, out var other)) { found.Add($"{at}: parameter '{name}' missing"); continue; }
            Expect($"{at}: parameter '{name}' is in", (string?)other["in"], (string?)parameter["in"], found);
            Expect($"{at}: parameter '{name}' has type", Shape(other["schema"]), Shape(parameter["schema"]), found);
            Expect($"{at}: parameter '{name}' has required", IsTrue(other["required"]), IsTrue(parameter["required"]), found);
        }

        var servedResponses = servedOperation["responses"]?.AsObject();
        foreach (var (status, response) in contractOperation["responses"]?.AsObject() ?? [])
        {
            if (servedResponses?[status] is not { } servedResponse) { found.Add($"{at}: response {status} missing"); continue; }
            if (JsonSchema(response) is { } schema)
                Expect($"{at}: response {status} is", Shape(JsonSchema(servedResponse)), Shape(schema), found);
        }

        if (contractOperation["requestBody"] is not { } body) return;
        if (servedOperation["requestBody"] is not { } servedBody) { found.Add($"{at}: request body missing"); return; }
        Expect($"{at}: request body is", Shape(JsonSchema(servedBody)), Shape(JsonSchema(body)), found);
        Expect($"{at}: request body has required", IsTrue(servedBody["required"]), IsTrue(body["required"]), found);
    }

    private static void CompareSchema(string name, JsonNode contract, JsonNode served, List<string> found)
    {
        Expect($"{name}: type is", Shape(served), Shape(contract), found);
        var servedRequired = Strings(served["required"]).ToHashSet();
        foreach (var required in Strings(contract["required"]).Where(r => !servedRequired.Contains(r)))
            found.Add($"{name}: '{required}' is required in the contract, not in Hookline");

        var servedProperties = served["properties"]?.AsObject();
        foreach (var (property, schema) in contract["properties"]?.AsObject() ?? [])
        {
            var at = $"{name}.{property}";
            if (servedProperties?[property] is not { } other) { found.Add($"{at}: missing"); continue; }
            Expect($"{at}: type is", Shape(other), Shape(schema), found);
            if (Alternative(schema)?["format"] is { } format)
                Expect($"{at}: format is", (string?)Alternative(other)?["format"], (string)format!, found);
            if (AllowsNull(schema) && !AllowsNull(other)) found.Add($"{at}: does not allow null, the contract's does");
            if (!AllowsNull(schema) && AllowsNull(other)) found.Add($"{at}: allows null, the contract's does not");
        }
    }

    private static void Expect<T>(string what, T actual, T expected, List<string> found)
    {
        if (!EqualityComparer<T>.Default.Equals(actual, expected))
            found.Add($"{what} {actual?.ToString() ?? "nothing"}, the contract says {expected}");
    }

    // Path-level parameters apply unless the operation redefines them; $refs point into components/parameters.
    private static IEnumerable<JsonNode> Parameters(JsonNode document, JsonNode pathItem, JsonNode operation)
    {
        var own = (operation["parameters"]?.AsArray() ?? []).Select(p => Resolve(document, p!)).ToList();
        var inherited = (pathItem["parameters"]?.AsArray() ?? []).Select(p => Resolve(document, p!))
            .Where(p => own.All(o => (string?)o["name"] != (string?)p["name"]));
        return own.Concat(inherited);
    }

    private static JsonNode Resolve(JsonNode document, JsonNode node) =>
        node["$ref"] is { } reference
            ? ((string)reference!).TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(document, (n, key) => n[key]!)
            : node;

    private static JsonNode? JsonSchema(JsonNode? withContent) => withContent?["content"]?["application/json"]?["schema"];

    /// <summary>The schema's shape without nullability: a component name, <c>array&lt;…&gt;</c>, or its type(s).</summary>
    private static string Shape(JsonNode? schema)
    {
        schema = Alternative(schema);
        if (schema is null) return "no schema";
        if (schema["$ref"] is { } reference) return ((string)reference!).Split('/')[^1];
        var types = Types(schema).Where(t => t != "null").Order().ToList();
        var type = types.Count == 0 ? "untyped" : string.Join("|", types);
        return type == "array" ? $"array<{Shape(schema["items"])}>" : type;
    }

    // 3.1 may write a nullable reference as oneOf/anyOf [{type: null}, {$ref}]: look through to the real alternative.
    private static JsonNode? Alternative(JsonNode? schema)
    {
        var alternatives = (schema?["oneOf"] ?? schema?["anyOf"])?.AsArray().Where(a => !IsNullType(a)).ToList();
        return alternatives is [var only] ? only : schema;
    }

    private static bool AllowsNull(JsonNode? schema) =>
        IsTrue(schema?["nullable"]) || Types(schema).Contains("null")
        || ((schema?["oneOf"] ?? schema?["anyOf"])?.AsArray().Any(IsNullType) ?? false);

    private static bool IsNullType(JsonNode? schema) => Types(schema) is ["null"];

    private static List<string> Types(JsonNode? schema) => schema?["type"] switch
    {
        JsonArray many => Strings(many).ToList(),
        JsonValue one => [(string)one!],
        _ => [],
    };

    private static IEnumerable<string> Strings(JsonNode? array) => array?.AsArray().Select(s => (string)s!) ?? [];

    private static bool IsTrue(JsonNode? flag) => flag is JsonValue v && v.TryGetValue(out bool b) && b;
}
