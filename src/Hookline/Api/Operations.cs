using System.Text.Json.Serialization;
using Hookline.Webhooks;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Hookline.Api;

/// <summary>What operators and integrators use besides the API itself: health probes, the OpenAPI document, the reference at /docs.</summary>
public static class Operations
{
    /// <summary>
    /// The terms the API is offered under, as the operator names them: an SPDX identifier in <c>Hookline:OpenApi:License</c>
    /// (<c>MIT</c>, <c>LicenseRef-AcmeTerms</c>). Unset, what holds while Hookline itself carries no license: proprietary.
    /// </summary>
    private static OpenApiLicense License(IConfiguration configuration)
    {
        const string Custom = "LicenseRef-"; // SPDX's prefix for terms of one's own
        var identifier = configuration["Hookline:OpenApi:License"] is { Length: > 0 } set ? set : Custom + "Proprietary";
        return new() { Identifier = identifier, Name = identifier.StartsWith(Custom, StringComparison.Ordinal) ? identifier[Custom.Length..] : identifier };
    }

    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddHealthChecks();
        // The web defaults also read numbers from strings, which the OpenAPI generator then documents as
        // integer|string. Hookline writes numbers as numbers (and reads forms itself), as awork documents them.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        services.AddOpenApi(options => options.AddHooklineDocument().AddDocumentTransformer(async (document, context, ct) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Hookline",
                Version = "v1",
                Description = "Webhooks with awork's API v1 contract: manage webhooks, publish events, read delivery logs.",
                License = License(context.ApplicationServices.GetRequiredService<IConfiguration>()),
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "hl_…",
                Description = "An API token: `Authorization: Bearer hl_…`.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            // awork publishes WebhookSlackConfigForm although none of its paths uses it: left out (an unused component; the
            // contract test lists it). WebhookTestResult is what POST …/test answers.
            document.AddComponent(nameof(WebhookTestResult), await context.GetOrCreateSchemaAsync(typeof(WebhookTestResult), null, ct));
        }));
        return services;
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
