using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Hookline.Portal;

namespace Hookline.Tests.Portal;

/// <summary>
/// Every text the portal asks for by key is in its resources, in English and in German. Resource names are
/// case-insensitive when built: of two keys that differ only in case one is dropped (with a build warning), and a page
/// asking for it would show the key, in English, to a German reader.
/// </summary>
public sealed partial class PortalTextTests
{
    private static string Portal()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hookline.slnx"))) return Path.Combine(dir.FullName, "src", "Hookline", "Portal");
        throw new InvalidOperationException("The clone's Hookline.slnx was not found above the test's folder.");
    }

    [Fact]
    public void NoTwoKeysDifferOnlyInCase()
    {
        foreach (var file in Directory.GetFiles(Portal(), "PortalText*.resx"))
        {
            var names = XDocument.Load(file).Root!.Elements("data").Select(d => (string)d.Attribute("name")!);
            Assert.Empty(names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key));
        }
    }

    [Fact]
    public void EveryKeyThePagesAskForIsThereInEnglishAndGerman()
    {
        var keys = Directory.GetFiles(Portal(), "*.cs*", SearchOption.AllDirectories)
            .SelectMany(f => Key().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.True(keys.Count > 100, $"only {keys.Count} keys found");
        var resources = new ResourceManager("Hookline.Portal.PortalText", typeof(PortalText).Assembly);
        var english = resources.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false)!;
        var german = resources.GetResourceSet(CultureInfo.GetCultureInfo("de"), createIfNotExists: true, tryParents: false)!;
        Assert.Equal([], [.. keys.Where(k => english.GetString(k) is null)]);
        Assert.Equal([], [.. keys.Where(k => german.GetString(k) is null)]);
    }

    [GeneratedRegex("""\b[Tt]\["([^"]+)"[\],]""")]
    private static partial Regex Key();
}
