using Hookline.Api;
using Hookline.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Hookline.Auth;

public static class AuthSetup
{
    public static IServiceCollection AddHooklineAuth(this IServiceCollection services)
    {
        services.AddSingleton<TokenService>();
        services.Replace(ServiceDescriptor.Singleton<ITokenStore>(sp => new CachedTokenStore(
            ActivatorUtilities.CreateInstance<TokenStore>(sp), sp.GetRequiredService<TimeProvider>())));
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.AnyWorkspaceToken, p => p.AddRequirements(new PermissionRequirement([])))
            .AddPolicy(Policies.ConfigRead, p => p.AddRequirements(
                new PermissionRequirement(Permissions.ReadingConfig)))
            .AddPolicy(Policies.ConfigWrite, p => p.AddRequirements(
                new PermissionRequirement(Permissions.WritingConfig)))
            .AddPolicy(Policies.EventsPublish, p => p.AddRequirements(
                new PermissionRequirement([Permissions.EventsPublish], AllowSystemTokens: true)))
            .AddPolicy(Policies.MetricsRead, p => p.AddRequirements(
                new PermissionRequirement([Permissions.MetricsRead], AllowSystemTokens: true, AllowWorkspaceTokens: false)))
            .AddPolicy(Policies.PortalIssue, p => p.AddRequirements(
                new PermissionRequirement([Permissions.PortalIssue], AllowSystemTokens: true, AllowWorkspaceTokens: false)));
        services.AddSingleton<IAuthorizationHandler, PermissionHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AworkAuthorizationResults>();
        services.AddRateLimits();
        return services;
    }

    /// <summary>
    /// A token holding any one of <paramref name="AnyOf"/> (an empty list: any token); a workspace token unless
    /// <paramref name="AllowSystemTokens"/>, a system token only when not <paramref name="AllowWorkspaceTokens"/>.
    /// </summary>
    public sealed record PermissionRequirement(IReadOnlyList<string> AnyOf, bool AllowSystemTokens = false, bool AllowWorkspaceTokens = true)
        : IAuthorizationRequirement
    {
        public bool Allows(bool hasWorkspace) => hasWorkspace ? AllowWorkspaceTokens : AllowSystemTokens;

        public string Describe(bool hasWorkspace) => Allows(hasWorkspace)
            ? $"This token lacks the permission needed: {string.Join(" or ", AnyOf.Select(p => $"'{p}'"))}."
            : hasWorkspace ? "This endpoint needs a system token; workspace tokens see only their workspace."
            : "This endpoint needs a workspace token; system tokens have no workspace.";
    }

    private sealed class PermissionHandler : AuthorizationHandler<PermissionRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
        {
            var user = context.User;
            if (requirement.Allows(user.WorkspaceIdOrNull() is not null) && user.Identity?.IsAuthenticated == true &&
                (requirement.AnyOf.Count == 0 || requirement.AnyOf.Any(p => user.HasClaim(BearerTokenHandler.PermissionClaim, p))))
                context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>awork answers a missing permission with 401 <c>unauthorized</c>, naming what was needed.</summary>
    private sealed class AworkAuthorizationResults : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext http, AuthorizationPolicy policy, PolicyAuthorizationResult result)
        {
            // The portal's pages answer as pages (its scheme's forbid), not as the API's JSON.
            if (!result.Forbidden || http.Request.Path.StartsWithSegments("/portal")) return _default.HandleAsync(next, http, policy, result);
            var needed = result.AuthorizationFailure?.FailedRequirements.OfType<PermissionRequirement>().FirstOrDefault();
            return ApiError.WriteAsync(http, 401, "unauthorized", needed?.Describe(http.User.WorkspaceIdOrNull() is not null) ?? "This token may not do this.");
        }
    }
}
