using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hookline.Api;

/// <summary>Reads a request body as JSON: bounded in size, refused unless valid UTF-8, never a 500.</summary>
public static class JsonBody
{
    public const long DefaultMaxBytes = 1 << 20;

    public sealed record Body(JsonDocument Document, ReadOnlyMemory<byte> Bytes) : IDisposable
    {
        public void Dispose() => Document.Dispose();
    }

    public static async Task<(Body? Body, JsonHttpResult<ErrorResponse>? Error)> ReadAsync(HttpContext http, long maxBytes, CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
            return (null, ApiError.Create(http, 415, ApiError.UnsupportedMediaType, ApiError.JsonOnly));
        if (http.Request.ContentLength > maxBytes) return (null, TooLarge(http, maxBytes));

        var buffer = new ArrayBufferWriter<byte>();
        var stream = http.Request.Body;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.GetMemory(16 * 1024), ct);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes) return (null, TooLarge(http, maxBytes));
        }
        if (!System.Text.Unicode.Utf8.IsValid(buffer.WrittenSpan))
            return (null, ApiError.InvalidModel(http, "The body is not valid UTF-8."));
        try
        {
            var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
            if (HasLoneSurrogateEscape(buffer.WrittenSpan))
            {
                document.Dispose();
                return (null, ApiError.InvalidModel(http, "The body is not valid JSON: a string escapes half of a surrogate pair (such as \\ud800)."));
            }
            return (new Body(document, buffer.WrittenMemory), null);
        }
        catch (JsonException e)
        {
            return (null, ApiError.InvalidModel(http, $"The body is not valid JSON: {e.Message}"));
        }
    }

    // JSON text may escape half a surrogate pair ("\ud800"): the grammar allows it, but no .NET string can be read from it
    // (GetString throws, a 500 wherever a handler reads it) and no UTF-8 column can store it. Runs on parsed, bounded input.
    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
        return false;
    }

    private static JsonHttpResult<ErrorResponse> TooLarge(HttpContext http, long maxBytes) =>
        ApiError.Create(http, 413, "request-body-too-large", $"The request body exceeds the limit of {maxBytes} bytes.");
}
