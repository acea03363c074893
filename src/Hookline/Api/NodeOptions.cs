namespace Hookline.Api;

/// <summary>What this process does when several run against one PostgreSQL: serve the API, deliver, or both.</summary>
public sealed class NodeOptions
{
    public const string Section = "Hookline:Node";

    public bool Api { get; set; } = true;
    public bool Worker { get; set; } = true;

    /// <summary>Recorded with every attempt this node makes.</summary>
    public string Name { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
