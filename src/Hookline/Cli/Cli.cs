using Hookline.Auth;
using Hookline.Storage;

namespace Hookline.Cli;

/// <summary><c>hookline tokens create|list|revoke</c> and <c>hookline migrate</c>, on the configured database.</summary>
public static class Cli
{
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "tokens" or "migrate";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddSingleton<TokenService>();
        using var host = builder.Build();
        var services = host.Services;
        try
        {
            var migration = await services.GetRequiredService<IDatabase>().MigrateAsync();
            return args switch
            {
                ["migrate"] => Report(migration),
                ["tokens", "create", .. var rest] => await CreateAsync(services, rest),
                ["tokens", "list"] => await ListAsync(services),
                ["tokens", "revoke", var id] => await RevokeAsync(services, id),
                _ => Usage(),
            };
        }
        catch (Exception e) when (e is DatabaseTooNewException or ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static int Report(MigrationResult m)
    {
        Console.WriteLine(m.Applied.Count == 0
            ? $"Database is up to date at schema version {m.To}."
            : $"Migrated from schema version {m.From} to {m.To} (applied {string.Join(", ", m.Applied)}).");
        return 0;
    }

    private static async Task<int> CreateAsync(IServiceProvider services, string[] options)
    {
        Guid? workspace = null;
        string[]? permissions = null;
        var name = "cli";
        for (var i = 0; i < options.Length; i++)
        {
            var value = i + 1 < options.Length ? options[i + 1] : throw new ArgumentException($"{options[i]} needs a value.");
            switch (options[i])
            {
                case "--workspace": workspace = Guid.Parse(value); break;
                case "--permissions": permissions = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries); break;
                case "--name": name = value; break;
                default: throw new ArgumentException($"Unknown option {options[i]}.");
            }
            i++;
        }
        if (permissions is not { Length: > 0 }) throw new ArgumentException("--permissions is required, e.g. --permissions admin.");

        var issued = await services.GetRequiredService<TokenService>().CreateAsync(workspace, permissions, name);
        Console.WriteLine($"Created token {issued.Token.Id} '{name}' for {(workspace is null ? "the system (no workspace)" : $"workspace {workspace}")} " +
                          $"with {string.Join(",", issued.Token.Permissions)}. It is shown only now:");
        Console.WriteLine(issued.Secret);
        return 0;
    }

    private static async Task<int> ListAsync(IServiceProvider services)
    {
        var tokens = await services.GetRequiredService<ITokenStore>().ListAsync();
        Console.WriteLine($"{"id",-36}  {"workspace",-36}  {"name",-20}  {"permissions",-40}  {"created (UTC)",-19}  {"last used",-19}  status");
        foreach (var t in tokens)
            Console.WriteLine($"{t.Id,-36}  {t.WorkspaceId?.ToString() ?? "(system)",-36}  {t.Name,-20}  {string.Join(",", t.Permissions),-40}  " +
                              $"{t.CreatedOn:yyyy-MM-dd HH:mm:ss}  {t.LastUsedOn?.ToString("yyyy-MM-dd HH:mm:ss") ?? "never",-19}  " +
                              $"{(t.RevokedOn is null ? "active" : "revoked")}");
        return 0;
    }

    private static async Task<int> RevokeAsync(IServiceProvider services, string id)
    {
        var time = services.GetRequiredService<TimeProvider>();
        if (!await services.GetRequiredService<ITokenStore>().RevokeAsync(Guid.Parse(id), time.GetUtcNow()))
        {
            await Console.Error.WriteLineAsync($"No token with the id {id}.");
            return 1;
        }
        Console.WriteLine($"Revoked token {id}.");
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            Usage:
              hookline migrate
              hookline tokens create [--workspace <uuid>] --permissions <p1,p2> [--name <name>]
              hookline tokens list
              hookline tokens revoke <id>
            Permissions: admin, workspace-manage-config:read, workspace-manage-config:write, events:publish,
                         metrics:read (system tokens only)
            """);
        return 2;
    }
}
