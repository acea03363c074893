using Hookline.Webhooks;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Hookline.Api;

/// <summary>What operators and integrators use besides the API itself: health probes, the OpenAPI document, the reference at /docs.</summary>
public static class Operations
{
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddHealthChecks();
        services.AddOpenApi(options => options.AddSchemaTransformer(NumbersAreNumbers).AddDocumentTransformer(async (document, context, ct) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Hookline",
                Version = "v1",
                Description = "Webhooks with awork's API v1 contract: manage webhooks, publish events, read delivery logs.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "hl_…",
                Description = "An API token: `Authorization: Bearer hl_…`.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            // awork publishes these models although none of its webhook paths uses them; describe them too.
            document.AddComponent(nameof(WebhookSlackConfigForm), await context.GetOrCreateSchemaAsync(typeof(WebhookSlackConfigForm), null, ct));
            document.AddComponent(nameof(WebhookTestResult), await context.GetOrCreateSchemaAsync(typeof(WebhookTestResult), null, ct));
        }));
        return services;
    }

    /// <summary>
    /// The web JSON defaults also read numbers from strings, so the generator types every number <c>integer|string</c>
    /// with a digits pattern. Hookline writes numbers as numbers and reads no numbers from forms; document them as awork does.
    /// </summary>
    private static Task NumbersAreNumbers(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        return Task.CompletedTask;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        routes.MapOpenApi();
        routes.MapScalarApiReference("/docs", o => o.WithTitle("Hookline API"));
        return routes;
    }
}
