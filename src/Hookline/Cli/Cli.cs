using Hookline.Auth;
using Hookline.Security;
using Hookline.Storage;

namespace Hookline.Cli;

/// <summary>
/// <c>hookline migrate</c> and <c>hookline tokens create|list|revoke</c> on the configured database, each with <c>--help</c>.
/// A mistake in the command line exits 2 and says what was wrong and the usage; a refusal (an unknown workspace, a token
/// already revoked) exits 1 and says why.
/// </summary>
public static class Cli
{
    private const int Refused = 1, Misused = 2;

    private sealed record Command(string[] Words, string Usage, string Help, Func<IServiceProvider, string[], Task<int>> Run)
    {
        public string Name => "hookline " + string.Join(' ', Words);
    }

    private static readonly Command[] Commands =
    [
        new(["migrate"], "hookline migrate",
            "Brings the database to this version's schema (Hookline also does this when it starts) and says what it applied.",
            (services, args) => NoArguments(args) ?? MigrateAsync(services)),
        new(["tokens", "create"], "hookline tokens create [--workspace <id or name>] --permissions <p1,p2,...> [--name <name>]",
            $"""
             Creates an API token and prints it once, as the last line; only its hash is stored.
               --workspace    the workspace the token acts in, by id or by name ('hookline tokens list' shows the ids; the
                              first start created 'default'). An id not seen before starts a new workspace. Without it:
                              a system token, for events:publish or metrics:read.
               --permissions  comma-separated, from: {string.Join(", ", Permissions.All)}
                              (metrics:read on system tokens only)
               --name         a label for 'hookline tokens list' (default: cli)
             """,
            CreateAsync),
        new(["tokens", "list"], "hookline tokens list",
            "Lists every token: id, workspace, name, permissions, when created and last used (UTC), active or revoked. Never the token itself.",
            (services, args) => NoArguments(args) ?? ListAsync(services)),
        new(["tokens", "revoke"], "hookline tokens revoke <token id>",
            "Revokes a token at once on this node and within a second on the others. The id is the first column of 'hookline tokens list'.",
            RevokeAsync),
        new(["portal-link"], "hookline portal-link --workspace <id or name> [--minutes <n>] [--read-only]",
            $"""
             Prints a link that opens the portal for one workspace, without a token: the last line. It works once, until it
             expires, and shows only that workspace. Hookline:Portal:PublicUrl is where it points (default: the first of
             'urls', else http://localhost:5080). The same as POST /api/v1/portal/links with a portal:issue token.
               --workspace    the workspace, by id or by name ('hookline tokens list' shows the ids)
               --minutes      how long it may be opened: 1 to {Portal.PortalLinks.MaxMinutes:N0} (default 60)
               --read-only    the session it opens may look, not change anything
             """,
            PortalLinkAsync),
    ];

    public static bool IsCommand(string[] args) =>
        args.Length > 0 && args[0] is "tokens" or "migrate" or "portal-link" or "help" or "--help" or "-h";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["help" or "--help" or "-h", ..])
        {
            Console.WriteLine(Overview);
            return 0;
        }
        var command = Commands.FirstOrDefault(c => args.Take(c.Words.Length).SequenceEqual(c.Words));
        if (command is null) return Misuse("hookline", $"there is no command '{string.Join(' ', args)}'.", "Run 'hookline --help' for the commands.");
        var rest = args[command.Words.Length..];
        if (rest.Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine($"Usage: {command.Usage}\n\n{command.Help}");
            return 0;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSecrets(builder.Configuration);
        builder.Services.AddOptions<Portal.PortalOptions>().BindConfiguration(Portal.PortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Portal.PortalLinks>();
        try
        {
            using var host = builder.Build();
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
            return await command.Run(host.Services, rest);
        }
        catch (UsageException e)
        {
            return Misuse(command.Name, e.Message, $"Usage: {command.Usage}\nRun '{command.Name} --help' for more.");
        }
        catch (RefusedException e)
        {
            await Console.Error.WriteLineAsync($"{command.Name}: {e.Message}");
            return Refused;
        }
        catch (Exception e) when (StartupErrors.Describe(e, builder.Configuration) is { } reason)
        {
            await Console.Error.WriteLineAsync(reason);
            return StartupErrors.ExitCode;
        }
    }

    private static string Overview =>
        "Usage:\n" + string.Join('\n', Commands.Select(c => "  " + c.Usage)) + "\n" +
        "  hookline                      (no command) runs the service\n" +
        "Run 'hookline <command> --help' for what a command does and its options.";

    private static int Misuse(string name, string problem, string usage)
    {
        Console.Error.WriteLine($"{name}: {problem}\n{usage}");
        return Misused;
    }

    /// <summary>Null (go on) for a command that takes no arguments and got none.</summary>
    private static Task<int>? NoArguments(string[] args) =>
        args.Length == 0 ? null : throw new UsageException($"'{args[0]}' is not an argument this command takes.");

    private static async Task<int> MigrateAsync(IServiceProvider services)
    {
        var m = await services.GetRequiredService<IDatabase>().MigrateAsync();
        Console.WriteLine(m.Applied.Count == 0
            ? $"Database is up to date at schema version {m.To}."
            : $"Migrated from schema version {m.From} to {m.To} (applied {string.Join(", ", m.Applied)}).");
        return 0;
    }

    private static async Task<int> CreateAsync(IServiceProvider services, string[] args)
    {
        string? workspaceArg = null, name = "cli";
        string[]? permissions = null;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (args[i] is not ("--workspace" or "--permissions" or "--name"))
                throw new UsageException(args[i].StartsWith('-') ? $"there is no option '{args[i]}'." : $"'{args[i]}' is not an option; options start with --.");
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"{args[i]} needs a value.");
            var value = args[i + 1];
            switch (args[i])
            {
                case "--workspace": workspaceArg = value; break;
                case "--permissions": permissions = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries); break;
                default: name = value; break;
            }
        }
        if (permissions is not { Length: > 0 }) throw new UsageException("--permissions is required, e.g. --permissions admin.");
        var unknown = permissions.Except(Permissions.All).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"--permissions: there is no permission {string.Join(", ", unknown.Select(p => $"'{p}'"))}; " +
                                     $"known: {string.Join(", ", Permissions.All)}.");

        await services.GetRequiredService<IDatabase>().MigrateAsync();
        var workspace = workspaceArg is null ? null : await FindWorkspaceAsync(services, workspaceArg);
        TokenService.Issued issued;
        try { issued = await services.GetRequiredService<TokenService>().CreateAsync(workspace?.Id, permissions, name); }
        catch (ArgumentException e) { throw new RefusedException(e.Message); }
        var owner = workspace is null ? "the system (no workspace)" : workspace.Name == workspace.Id.ToString() ? $"workspace {workspace.Id}"
            : $"workspace '{workspace.Name}' ({workspace.Id})";
        Console.WriteLine($"Created token {issued.Token.Id} '{name}' for {owner} with {string.Join(",", issued.Token.Permissions)}. " +
                          "It is shown only now:");
        Console.WriteLine(issued.Secret);
        return 0;
    }

    /// <summary>By id (an id not seen before starts a workspace named after it), or by its name.</summary>
    private static async Task<Workspace> FindWorkspaceAsync(IServiceProvider services, string idOrName)
    {
        var workspaces = await services.GetRequiredService<ITokenStore>().ListWorkspacesAsync();
        if (Guid.TryParse(idOrName, out var id)) return workspaces.FirstOrDefault(w => w.Id == id) ?? new Workspace(id, id.ToString(), default);
        var named = workspaces.Where(w => w.Name == idOrName).ToList();
        if (named.Count == 0) named = workspaces.Where(w => string.Equals(w.Name, idOrName, StringComparison.OrdinalIgnoreCase)).ToList();
        return named switch
        {
            [var one] => one,
            [] => throw new RefusedException($"--workspace: '{idOrName}' is neither a workspace id (a uuid) nor the name of a workspace. " +
                                             $"Workspaces: {string.Join(", ", workspaces.Select(w => $"'{w.Name}' ({w.Id})"))}."),
            _ => throw new RefusedException($"--workspace: {named.Count} workspaces are named '{idOrName}'; give the id of one: " +
                                            $"{string.Join(", ", named.Select(w => w.Id))}."),
        };
    }

    private static async Task<int> ListAsync(IServiceProvider services)
    {
        await services.GetRequiredService<IDatabase>().MigrateAsync();
        var tokens = await services.GetRequiredService<ITokenStore>().ListAsync();
        Console.Write(Table(["id", "workspace", "name", "permissions", "created (UTC)", "last used (UTC)", "status"],
            tokens.Select(t => new[]
            {
                t.Id.ToString(), t.WorkspaceId?.ToString() ?? "(system)", t.Name, string.Join(",", t.Permissions),
                t.CreatedOn.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), t.LastUsedOn?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss") ?? "never",
                t.RevokedOn is null ? "active" : "revoked",
            })));
        return 0;
    }

    /// <summary>Columns as wide as their widest cell, two spaces apart; the last column is not padded.</summary>
    public static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        return string.Concat(all.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Length - 1 ? cell : cell.PadRight(widths[i]))) + "\n"));
    }

    private static async Task<int> RevokeAsync(IServiceProvider services, string[] args)
    {
        if (args.Length == 0) throw new UsageException("which token? Give its id.");
        if (!Guid.TryParse(args[0], out var id))
            throw new UsageException($"'{args[0]}' is not a token id (a uuid, the first column of 'hookline tokens list').");
        if (args.Length > 1) throw new UsageException("give one token id.");
        await services.GetRequiredService<IDatabase>().MigrateAsync();
        var store = services.GetRequiredService<ITokenStore>();
        var token = (await store.ListAsync()).FirstOrDefault(t => t.Id == id) ?? throw new RefusedException($"there is no token {id}.");
        if (token.RevokedOn is not null || !await store.RevokeAsync(id, services.GetRequiredService<TimeProvider>().GetUtcNow()))
            throw new RefusedException($"token {id} ('{token.Name}') was already revoked{(token.RevokedOn is { } at ? $" on {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "")}; nothing changed.");
        Console.WriteLine($"Revoked token {id} ('{token.Name}').");
        return 0;
    }

    private static async Task<int> PortalLinkAsync(IServiceProvider services, string[] args)
    {
        string? workspaceArg = null;
        var (minutes, readOnly) = (60, false);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--read-only") { readOnly = true; continue; }
            if (args[i] is not ("--workspace" or "--minutes"))
                throw new UsageException(args[i].StartsWith('-') ? $"there is no option '{args[i]}'." : $"'{args[i]}' is not an option; options start with --.");
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"{args[i]} needs a value.");
            var value = args[++i];
            if (args[i - 1] == "--workspace") workspaceArg = value;
            else if (!int.TryParse(value, out minutes) || minutes < 1 || minutes > Portal.PortalLinks.MaxMinutes)
                throw new UsageException($"--minutes: '{value}' is not a whole number from 1 to {Portal.PortalLinks.MaxMinutes:N0}.");
        }
        if (workspaceArg is null) throw new UsageException("--workspace is required: the workspace the link opens.");
        await services.GetRequiredService<IDatabase>().MigrateAsync();
        var workspace = await FindWorkspaceAsync(services, workspaceArg);
        if (workspace.CreatedOn == default) throw new RefusedException($"--workspace: there is no workspace {workspace.Id}.");
        var config = services.GetRequiredService<IConfiguration>();
        var root = config["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "http://localhost:5080";
        var (url, expiresOn) = services.GetRequiredService<Portal.PortalLinks>().Issue(workspace.Id, minutes, readOnly, root);
        Console.WriteLine($"A {(readOnly ? "read-only " : "")}portal link for workspace '{workspace.Name}' ({workspace.Id}), " +
                          $"to open once until {expiresOn.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC:");
        Console.WriteLine(url);
        return 0;
    }

    /// <summary>The command line itself is wrong: exit 2 with the usage.</summary>
    private sealed class UsageException(string message) : Exception(message);

    /// <summary>The command line is fine but what it asks cannot be done: exit 1.</summary>
    private sealed class RefusedException(string message) : Exception(message);
}
