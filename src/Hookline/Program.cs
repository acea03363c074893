using Hookline.Api;
using Hookline.Auth;
using Hookline.Cli;
using Hookline.Delivery;
using Hookline.Events;
using Hookline.Mcp;
using Hookline.Portal;
using Hookline.Security;
using Hookline.Storage;
using Hookline.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;

if (Cli.IsCommand(args)) return await Cli.RunAsync(args);

// appsettings.json ships beside the binary; relative data paths still follow the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://localhost:5080");
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddErrorHandling();
builder.Services.AddStorage(builder.Configuration);
builder.Services.AddSecrets(builder.Configuration);
builder.Services.AddHooklineAuth();
builder.Services.AddWebhooks();
builder.Services.AddEvents();
builder.Services.AddDelivery(builder.Configuration);
builder.Services.AddOperations();
builder.Services.AddPortal();
builder.Services.AddHooklineMcp();
builder.Services.AddHooklineMetrics();
builder.Services.AddHooklineTracing(builder.Configuration);
builder.AddHooklineLogging();

// Until it listens, a failure is said by StartupErrors on stderr, not also logged by the host with its stack trace.
var started = false;
builder.Logging.AddFilter((category, level) => started || level < LogLevel.Error || category != "Microsoft.Extensions.Hosting.Internal.Host");

var app = builder.Build();
InProcessApi.Use(app); // MCP tools are API requests made in process, through everything below
app.UseErrorHandling();
app.UsePortal();
app.UseAuthentication();
app.UseWorkspaceRateLimits();
app.UseAuthorization();
app.MapOperations().MapHooklineMetrics();
if (app.Configuration.GetValue("Hookline:Node:Api", true))
{
    app.MapWebhooks().MapDeliveryActions();
    app.MapEvents();
    app.MapPortal();
    app.MapHooklineMcp();
}
try
{
    app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate(); // every setting, before anything is written
    await app.Services.PrepareDatabaseAsync();
    await app.StartAsync();
    started = true;
    await app.Services.CreateFirstTokenAsync(); // only once listening: a start that fails never shows a token it cannot use
}
catch (Exception e) when (StartupErrors.Describe(e, app.Configuration) is { } reason)
{
    await Console.Error.WriteLineAsync(reason);
    return StartupErrors.ExitCode;
}
await app.WaitForShutdownAsync();
return 0;

public partial class Program;
