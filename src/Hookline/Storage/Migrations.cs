using System.Reflection;
using System.Text.RegularExpressions;

namespace Hookline.Storage;

/// <summary>Versioned SQL scripts embedded in the binary, named <c>NNNN_description.sql</c>.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public static IReadOnlyList<Migration> Load(string resourceFolder)
    {
        var assembly = typeof(Migration).Assembly;
        var prefix = $"{assembly.GetName().Name}.{resourceFolder}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Parse(assembly, n, n[prefix.Length..]))
            .OrderBy(m => m.Version)
            .ToList();
    }

    private static Migration Parse(Assembly assembly, string resource, string fileName)
    {
        var match = Regex.Match(fileName, @"^(\d+)_(.+)\.sql$");
        if (!match.Success) throw new InvalidOperationException($"Migration '{fileName}' must be named NNNN_description.sql.");
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return new(int.Parse(match.Groups[1].Value), match.Groups[2].Value, reader.ReadToEnd());
    }
}

public sealed class DatabaseTooNewException(int found, int known) : Exception(
    $"The database is at schema version {found}, but this Hookline only knows versions up to {known}. " +
    "It was written by a newer Hookline: run that version, or point Hookline:Database:ConnectionString at another database.");
