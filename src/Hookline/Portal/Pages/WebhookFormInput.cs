using System.Text.Json;
using System.Text.Json.Nodes;
using Hookline.Api;
using Hookline.Storage;
using Hookline.Webhooks;

namespace Hookline.Portal.Pages;

/// <summary>
/// The webhook form as the browser posts it, turned into the API's JSON body and read by the API's own
/// <see cref="WebhookFormReader"/>: the same rules and the same messages, field by field.
/// </summary>
public sealed class WebhookFormInput
{
    public string? Name { get; set; }
    public string? Uri { get; set; }
    public string? Language { get; set; }
    public List<string> Events { get; set; } = [];
    public bool IsActive { get; set; } = true;
    public bool OnlyTriggerForMainEntityChanges { get; set; }
    public string AuthenticationType { get; set; } = "none";
    public string? Authentication { get; set; }

    public static WebhookFormInput From(Webhook w) => new()
    {
        Name = w.Name, Uri = w.Uri, Language = w.Language, Events = w.Events.Split(',', StringSplitOptions.TrimEntries).ToList(),
        IsActive = w.IsActive, OnlyTriggerForMainEntityChanges = w.OnlyTriggerForMainEntityChanges, AuthenticationType = w.AuthenticationType,
    };

    /// <summary>
    /// Reads the form as the API reads its body. An empty header value on an edit keeps the stored one, which the form never
    /// shows (<paramref name="storedAuthentication"/>, decrypted).
    /// </summary>
    public WebhookFormReader.Result Read(WebhookFormReader reader, string? storedAuthentication = null)
    {
        var authentication = string.IsNullOrEmpty(Authentication) && AuthenticationType == "header" ? storedAuthentication : Authentication;
        var body = new JsonObject
        {
            ["name"] = Name ?? "", ["uri"] = Uri ?? "", ["events"] = string.Join(',', Events), ["isActive"] = IsActive,
            ["onlyTriggerForMainEntityChanges"] = OnlyTriggerForMainEntityChanges, ["authenticationType"] = AuthenticationType,
        };
        if (!string.IsNullOrWhiteSpace(Language)) body["language"] = Language;
        if (!string.IsNullOrEmpty(authentication)) body["authentication"] = authentication;
        using var document = JsonDocument.Parse(body.ToJsonString());
        return reader.Read(document.RootElement.Clone());
    }

    /// <summary>The reader's errors by field (an error for no field under the empty key).</summary>
    public static ILookup<string, string> ByField(IReadOnlyList<ValidationErrorResponse> errors) =>
        errors.ToLookup(e => e.Property ?? "", e => e.Message ?? "");
}

/// <summary>What the shared form partial shows: the values, the errors by field, and where it posts.</summary>
public sealed record WebhookFormView(WebhookFormInput Input, ILookup<string, string> Errors, bool Editing);
