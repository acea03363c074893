using Hookline.Api;
using Hookline.Auth;
using Hookline.Cli;
using Hookline.Delivery;
using Hookline.Events;
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
builder.Services.AddHooklineMetrics();

var app = builder.Build();
try
{
    await app.Services.PrepareDatabaseAsync();
}
catch (DatabaseTooNewException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

app.UseErrorHandling();
app.UseAuthentication();
app.UseWorkspaceRateLimits();
app.UseAuthorization();
app.MapOperations().MapHooklineMetrics();
if (app.Configuration.GetValue("Hookline:Node:Api", true))
{
    app.MapWebhooks().MapDeliveryActions();
    app.MapEvents();
}
await app.RunAsync();
return 0;

public partial class Program;
