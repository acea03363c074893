namespace Hookline.Api;

/// <summary>The API error response (awork's <c>ErrorResponse</c>).</summary>
public sealed record ErrorResponse
{
    public required string Code { get; init; }
    public required string Description { get; init; }
    public required string Link { get; init; }
    public IReadOnlyList<string>? Details { get; init; }
    public IReadOnlyList<ValidationErrorResponse>? ValidationErrors { get; init; }
    public string? TraceId { get; init; }
}

/// <summary>The validation error response (awork's <c>ValidationErrorResponse</c>).</summary>
public sealed record ValidationErrorResponse(string? Property, string? Message);
