using System.Diagnostics;

namespace Hookline.Bench;

/// <summary>
/// A private, throwaway PostgreSQL cluster, as test.sh makes one (initdb in a temporary folder, a free port on 127.0.0.1,
/// trust auth), but with PostgreSQL's default durability, since its figures are the ones operators get, and with
/// pg_stat_statements loaded so that PostgreSQL's own cost can be read. Stopped and removed on dispose.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private int _disposed;

    private PostgresCluster(string bin, string folder, int port) =>
        (_bin, _folder, ConnectionString) = (bin, folder, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");

    public string ConnectionString { get; }
    private string Data => Path.Combine(_folder, "data");

    public static PostgresCluster Start()
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL was not found (initdb on PATH or /usr/lib/postgresql/*/bin): install it, or give a server with --postgres CONNECTION.");
        var folder = Directory.CreateTempSubdirectory("hookline-bench-pg-").FullName;
        if (Environment.IsPrivilegedProcess) Run("chown", "postgres", folder);
        var port = HooklineNode.FreePort();
        var cluster = new PostgresCluster(bin, folder, port);
        try
        {
            cluster.AsPostgres("initdb", "-D", cluster.Data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8");
            cluster.AsPostgres("pg_ctl", "-D", cluster.Data, "-l", Path.Combine(folder, "server.log"), "-w", "start", "-o",
                $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
                "-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_preload_libraries=pg_stat_statements");
            return cluster;
        }
        catch (InvalidOperationException e)
        {
            var log = Path.Combine(folder, "server.log");
            var detail = File.Exists(log) ? File.ReadAllText(log) : "";
            cluster.Dispose();
            throw new InvalidOperationException($"{e.Message}\n{detail}".TrimEnd(), e);
        }
    }

    /// <summary>Immediate stop, then the folder goes; safe to call twice (from a signal and from the finally).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try { if (Directory.Exists(Data)) AsPostgres("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop"); }
        catch (InvalidOperationException e) { Console.Error.WriteLine($"PostgreSQL did not stop: {e.Message}"); }
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>initdb and pg_ctl from PATH, else Debian's newest /usr/lib/postgresql/N/bin (not on PATH there).</summary>
    private static string? FindBin()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(Has);
        if (onPath is not null || !Directory.Exists("/usr/lib/postgresql")) return onPath;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(v => (Version: int.TryParse(Path.GetFileName(v), out var n) ? n : -1, Bin: Path.Combine(v, "bin")))
            .Where(v => v.Version >= 0 && Has(v.Bin)).OrderBy(v => v.Version).Select(v => v.Bin).LastOrDefault();
    }

    // initdb and the server refuse to run as root
    private void AsPostgres(string tool, params string[] args) =>
        Run(Environment.IsPrivilegedProcess ? "runuser" : Path.Combine(_bin, tool),
            Environment.IsPrivilegedProcess ? ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args] : args);

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {errors.Result}{output.Result}".TrimEnd());
    }
}
