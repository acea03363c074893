using System.Text.Json;
using Hookline.Api;
using Hookline.Auth;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hookline.Mcp;

/// <summary>
/// An MCP tool that is a call to Hookline's API, made in process as the caller's token (<see cref="InProcessApi"/>): the
/// API's answer is the tool's result, and its error answers are tool errors carrying the same <see cref="ErrorResponse"/>.
/// </summary>
public sealed class ApiTool(Tool tool, Func<ToolCall, Task<InProcessApi.Answer>> run, string? needs = null) : McpServerTool
{
    public override Tool ProtocolTool { get; } = tool;

    public override IReadOnlyList<object> Metadata { get; } = [];

    public override async ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken ct)
    {
        var http = request.Services?.GetRequiredService<IHttpContextAccessor>().HttpContext
            ?? throw new InvalidOperationException("MCP tools run only inside the HTTP request to /mcp.");
        var call = new ToolCall(http, request.Params?.Arguments, ct);
        // Beyond the endpoint's own rule: a tool that hands an agent a signing secret asks for the admin permission.
        var answer = needs is not null && !http.User.HasClaim(BearerTokenHandler.PermissionClaim, needs)
            ? call.Error(401, "unauthorized", new AuthSetup.PermissionRequirement([needs]).Describe(http.User.WorkspaceIdOrNull() is not null))
            : await run(call);
        return Result(answer);
    }

    private static CallToolResult Result(InProcessApi.Answer answer)
    {
        var text = answer.Body;
        if (answer.Status is >= 200 and < 300 && answer.Headers.TryGetValue("aw-totalitems", out var total))
            text = $$"""{"page":{{answer.Headers["aw-page"]}},"pageSize":{{answer.Headers["aw-pagesize"]}},"totalItems":{{total}},"items":{{text}}}""";
        if (text.Length == 0) text = $$"""{"status":{{answer.Status}}}""";
        var result = new CallToolResult { Content = [new TextContentBlock { Text = text }], IsError = answer.Status >= 400 };
        if (text.StartsWith('{')) result.StructuredContent = JsonDocument.Parse(text).RootElement.Clone();
        return result;
    }
}

/// <summary>One tool call: its arguments, read with the API's wording for bad values, and the API requests it makes.</summary>
public sealed class ToolCall(HttpContext caller, IDictionary<string, JsonElement>? arguments, CancellationToken ct)
{
    private readonly List<ValidationErrorResponse> _errors = [];

    public IReadOnlyDictionary<string, JsonElement> Arguments { get; } = new Dictionary<string, JsonElement>(arguments ?? new Dictionary<string, JsonElement>());

    /// <summary>A required uuid argument (a webhook's or a log's id).</summary>
    public Guid Id(string name)
    {
        if (!Arguments.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null) _errors.Add(new(name, $"'{name}' is required."));
        else if (v.ValueKind != JsonValueKind.String || !Guid.TryParse(v.GetString(), out var id)) _errors.Add(new(name, $"'{name}' must be a uuid."));
        else return id;
        return Guid.Empty;
    }

    /// <summary>An optional argument as the text of a query parameter or header: strings as they are, numbers and booleans as JSON writes them.</summary>
    public string? Text(string name) => Arguments.TryGetValue(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => v.GetString(),
        _ => v.GetRawText(),
    } : null;

    /// <summary>The query string of the given arguments that are present, under the API's parameter names.</summary>
    public QueryString Query(params (string Argument, string Parameter)[] names) =>
        QueryString.Create(names.Select(n => (n.Parameter, Text(n.Argument))).Where(p => p.Item2 is not null)
            .Select(p => new KeyValuePair<string, string?>(p.Parameter, p.Item2)));

    /// <summary>The arguments but <paramref name="except"/>, as a JSON object: the request body, checked by the API itself.</summary>
    public string Body(params string[] except)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (name, value) in Arguments.Where(a => !except.Contains(a.Key)))
            {
                w.WritePropertyName(name);
                value.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Sends the request, unless an argument read so far was bad: then the API's validation answer naming them all.</summary>
    public Task<InProcessApi.Answer> SendAsync(string method, string path, QueryString query = default, string? json = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        if (_errors.Count > 0)
            return Task.FromResult(Error(400, "validation-failed", "The model validation of the request failed. See the validation errors for details.", _errors));
        return caller.RequestServices.GetRequiredService<InProcessApi>().SendAsync(caller, method, path, query, json, headers, ct);
    }

    /// <summary>An answer as the API writes its errors (<see cref="ApiError"/>), for what the tool refuses before asking the API.</summary>
    public InProcessApi.Answer Error(int status, string code, string description, IReadOnlyList<ValidationErrorResponse>? validationErrors = null)
    {
        var json = caller.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var body = ApiError.Body(caller, code, description, validationErrors: validationErrors);
        return new(status, new HeaderDictionary(), JsonSerializer.Serialize(body, json));
    }
}
