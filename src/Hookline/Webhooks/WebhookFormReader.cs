using System.Globalization;
using System.Text.Json;
using Hookline.Api;

namespace Hookline.Webhooks;

/// <summary>
/// Reads a <see cref="WebhookConfigForm"/> from JSON and checks every rule, so that one answer lists every bad
/// property (wrong types and unknown properties included) instead of stopping at the first.
/// </summary>
public sealed class WebhookFormReader(ReceiverTypes receiverTypes)
{
    public const string DefaultSlackLanguage = "en-GB";

    /// <summary>The form's properties, as the API names them.</summary>
    public static readonly IReadOnlyList<string> Properties =
        ["name", "uri", "language", "events", "isActive", "onlyTriggerForMainEntityChanges", "authenticationType", "authentication"];

    public sealed record Result(WebhookConfigForm? Form, string ReceiverType, IReadOnlyList<ValidationErrorResponse> Errors);

    public Result Read(JsonElement root)
    {
        var errors = new List<ValidationErrorResponse>();
        if (root.ValueKind != JsonValueKind.Object)
            return new(null, ReceiverTypes.Custom, [new(null, "The body must be a JSON object.")]);

        var values = new Dictionary<string, JsonElement>();
        foreach (var property in root.EnumerateObject())
        {
            var name = Properties.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
            if (name is null) errors.Add(new(property.Name, $"'{property.Name}' is not a property of WebhookConfigForm. Known: {string.Join(", ", Properties)}."));
            else if (!values.TryAdd(name, property.Value)) errors.Add(new(name, $"'{name}' is given more than once."));
        }

        var fields = new Fields(values, errors);
        var name1 = fields.String("name", required: true, max: 200);
        var uriText = fields.String("uri", required: true, max: 2048);
        var language = fields.String("language", required: false, max: 35);
        var events = fields.String("events", required: true, max: 4000);
        var isActive = fields.Bool("isActive", required: true);
        var onlyMain = fields.Bool("onlyTriggerForMainEntityChanges", required: false) ?? false;
        var authType = fields.String("authenticationType", required: true, max: 20);
        var authentication = fields.String("authentication", required: false, max: 4096);

        var uri = WebhookRules.CheckUri(uriText, errors);
        var receiverType = uri is null ? ReceiverTypes.Custom : receiverTypes.Infer(uri);
        language = WebhookRules.CheckLanguage(language, errors) ?? (ReceiverTypes.IsChat(receiverType) ? DefaultSlackLanguage : null);
        events = WebhookRules.CheckEvents(events, receiverType, errors);
        authType = WebhookRules.CheckAuthenticationType(authType, errors);
        authentication = WebhookRules.CheckAuthentication(authType, authentication, errors);

        if (errors.Count > 0) return new(null, receiverType, errors);
        return new(new WebhookConfigForm
        {
            Name = name1!, Uri = uri!.OriginalString, Language = language, Events = events!, IsActive = isActive!.Value,
            OnlyTriggerForMainEntityChanges = onlyMain, AuthenticationType = authType!, Authentication = authentication,
        }, receiverType, errors);
    }

    private sealed class Fields(Dictionary<string, JsonElement> values, List<ValidationErrorResponse> errors)
    {
        public string? String(string name, bool required, int max)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) errors.Add(new(name, $"'{name}' is required."));
                return null;
            }
            if (v.ValueKind != JsonValueKind.String) { errors.Add(new(name, $"'{name}' must be a string.")); return null; }
            var text = v.GetString()!.Trim();
            if (required && text.Length == 0) { errors.Add(new(name, $"'{name}' must not be empty.")); return null; }
            if (text.Length > max) { errors.Add(new(name, $"'{name}' must be at most {max} characters long.")); return null; }
            if (text.Any(char.IsControl)) { errors.Add(new(name, $"'{name}' must not contain control characters (such as CR or LF).")); return null; }
            return text.Length == 0 ? null : text;
        }

        public bool? Bool(string name, bool required)
        {
            if (!values.TryGetValue(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) errors.Add(new(name, $"'{name}' is required."));
                return null;
            }
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
            errors.Add(new(name, $"'{name}' must be true or false."));
            return null;
        }
    }
}

/// <summary>The rules for each field, kept apart from JSON reading so that other inputs can reuse them.</summary>
public static class WebhookRules
{
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        // hop-by-hop (RFC 9110 §7.6.1) and headers that Hookline itself sets on every delivery
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length", "content-type", "user-agent",
        "webhook-id", "webhook-timestamp", "webhook-signature",
    };

    public static Uri? CheckUri(string? text, List<ValidationErrorResponse> errors)
    {
        if (text is null) return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add(new("uri", "'uri' must be an absolute http:// or https:// URI."));
            return null;
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add(new("uri", "'uri' must not contain credentials; use header authentication instead."));
            return null;
        }
        return uri;
    }

    public static string? CheckLanguage(string? language, List<ValidationErrorResponse> errors)
    {
        if (language is null) return null;
        try
        {
            var culture = CultureInfo.GetCultureInfo(language, predefinedOnly: true);
            if (culture.Name.Length > 0) return culture.Name;
        }
        catch (CultureNotFoundException) { }
        errors.Add(new("language", $"'{language}' is not a known culture; use a name such as en-GB, en-US or de-DE."));
        return null;
    }

    public static string? CheckEvents(string? events, string receiverType, List<ValidationErrorResponse> errors)
    {
        if (events is null) return null;
        var catalogue = EventTypes.For(receiverType);
        var names = events.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
        {
            errors.Add(new("events", "'events' must be a comma-separated list of event names without empty items."));
            return null;
        }
        var unknown = names.Where(n => !catalogue.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            var list = ReceiverTypes.IsChat(receiverType) ? $"/api/v1/webhooks/eventtypes/{receiverType}" : "/api/v1/webhooks/eventtypes";
            errors.Add(new("events", $"Unknown event(s) for a {receiverType} webhook: {string.Join(", ", unknown)}. The allowed events are listed at {list}."));
            return null;
        }
        return string.Join(',', names.Select(n => catalogue.First(c => c.Equals(n, StringComparison.OrdinalIgnoreCase))).Distinct());
    }

    public static string? CheckAuthenticationType(string? type, List<ValidationErrorResponse> errors)
    {
        if (type is null) return null;
        var lower = type.ToLowerInvariant();
        if (lower is "none" or "header") return lower;
        errors.Add(new("authenticationType", "'authenticationType' must be 'none' or 'header'."));
        return null;
    }

    public static string? CheckAuthentication(string? type, string? authentication, List<ValidationErrorResponse> errors)
    {
        if (type == "none")
        {
            if (authentication is not null) errors.Add(new("authentication", "'authentication' must be empty when 'authenticationType' is 'none'."));
            return null;
        }
        if (type != "header") return authentication;
        var split = authentication?.IndexOf('=') ?? -1;
        if (authentication is null || split <= 0 || split == authentication.Length - 1)
        {
            errors.Add(new("authentication", "With header authentication, 'authentication' must be 'Header-Name=value'."));
            return null;
        }
        var name = authentication[..split].Trim();
        var value = authentication[(split + 1)..].Trim();
        if (name.Length == 0 || !name.All(IsTokenChar))
            errors.Add(new("authentication", $"'{name}' is not a valid HTTP header name."));
        else if (ReservedHeaders.Contains(name))
            errors.Add(new("authentication", $"The header '{name}' is set by HTTP or by Hookline and cannot be configured."));
        else if (value.Length == 0 || value.Any(c => c > '\u007e'))
            errors.Add(new("authentication", "The header value must be non-empty visible ASCII."));
        else return $"{name}={value}";
        return null;
    }

    // RFC 9110 tchar
    private static bool IsTokenChar(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' ||
        "!#$%&'*+-.^_`|~".Contains(c);
}
