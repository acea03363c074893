using Microsoft.OpenApi;

namespace Hookline.Api;

public static class ListParameters
{
    /// <summary>
    /// Describes awork's list parameters in the OpenAPI document. The handler reads them itself (<see cref="Paging"/>)
    /// so that a bad value is answered with a validation error naming it, not a binding failure.
    /// </summary>
    public static RouteHandlerBuilder WithListParameters(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Query("page", JsonSchemaType.Integer, "Page number for pagination, from 1.", "1"));
            operation.Parameters.Add(Query("pageSize", JsonSchemaType.Integer, $"Number of items per page, 1 to {Paging.MaxPageSize}.", $"{Paging.MaxPageSize}"));
            operation.Parameters.Add(Query("orderby", JsonSchemaType.String, "The properties to order by, e.g. `name desc,createdOn`."));
            operation.Parameters.Add(Query("filterby", JsonSchemaType.String, "The filter expression to filter by, e.g. `isActive eq true and startswith(name,'Ops')`."));
            ApiDocument.AddPagingHeaders(operation);
            return Task.CompletedTask;
        });

    private static OpenApiParameter Query(string name, JsonSchemaType type, string description, string? defaultValue = null) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema
        {
            Type = type,
            Default = defaultValue is null ? null : System.Text.Json.Nodes.JsonNode.Parse(defaultValue),
        },
    };
}
