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

public static class ErrorResponseMetadata
{
    /// <summary>Documents that every endpoint of the group may answer these statuses with an <see cref="ErrorResponse"/>.</summary>
    public static RouteGroupBuilder ProducesErrors(this RouteGroupBuilder group, params int[] statuses) =>
        group.WithMetadata(statuses.Select(s => (object)new ProducesResponseTypeMetadata(s, typeof(ErrorResponse), ["application/json"])).ToArray());
}
