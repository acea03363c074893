namespace Hookline.Api;

/// <summary>The API error response (awork's <c>ErrorResponse</c>).</summary>
public sealed record ErrorResponse
{
    /// <summary>The error code.</summary>
    /// <example>validation-failed</example>
    public required string Code { get; init; }
    /// <summary>The description of the error.</summary>
    /// <example>The model validation of the request failed. See the validation errors for details.</example>
    public required string Description { get; init; }
    /// <summary>The link to the API documentation page.</summary>
    public required string Link { get; init; }
    /// <summary>A list of details describing the error.</summary>
    public IReadOnlyList<string>? Details { get; init; }
    /// <summary>If a validation error occurred, this contains the validation errors for each property.</summary>
    public IReadOnlyList<ValidationErrorResponse>? ValidationErrors { get; init; }
    /// <summary>The request trace id for tracking the request (also in the Trace-Id header).</summary>
    public string? TraceId { get; init; }
}

/// <summary>The validation error response (awork's <c>ValidationErrorResponse</c>).</summary>
/// <param name="Property">The name of the property that failed validation.</param>
/// <param name="Message">The reason why this property failed validation.</param>
public sealed record ValidationErrorResponse(string? Property, string? Message);

public static class ErrorResponseMetadata
{
    /// <summary>Documents that every endpoint of the group may answer these statuses with an <see cref="ErrorResponse"/>.</summary>
    public static RouteGroupBuilder ProducesErrors(this RouteGroupBuilder group, params int[] statuses) =>
        group.WithMetadata(statuses.Select(s => (object)new ProducesResponseTypeMetadata(s, typeof(ErrorResponse), ["application/json"])).ToArray());
}
