using System.Text;

namespace Hookline.Tests.Security;

/// <summary>
/// A unique name for 127.0.0.1, added to /etc/hosts for the life of this object (so that a plain hostname, not an
/// IP literal, resolves to loopback) and removed again on dispose. Null <see cref="Name"/> where /etc/hosts cannot
/// be written (not root).
/// </summary>
public sealed class HostsAlias : IDisposable
{
    private const string HostsFile = "/etc/hosts";
    private readonly string? _line;

    public HostsAlias()
    {
        var name = $"hookline-ssrf-test-{Guid.NewGuid():N}";
        var line = $"127.0.0.1 {name}\n";
        try
        {
            var original = File.ReadAllText(HostsFile);
            // Written in place (never replaced by a rename): in a container /etc/hosts is often a bind mount.
            var added = (original.Length == 0 || original.EndsWith('\n') ? "" : "\n") + line;
            File.WriteAllText(HostsFile, original + added);
            (Name, _line) = (name, added);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            Name = null;
        }
    }

    public string? Name { get; }

    public void Dispose()
    {
        if (_line is null) return;
        // Removes exactly what was added, whatever else changed in the file meanwhile.
        var now = File.ReadAllText(HostsFile);
        var at = now.LastIndexOf(_line, StringComparison.Ordinal);
        if (at < 0) return;
        var restored = new StringBuilder(now).Remove(at, _line.Length).ToString();
        File.WriteAllText(HostsFile, restored);
    }
}
