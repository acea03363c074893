namespace Hookline.Storage;

/// <summary>A fixed rate-limit window: <see cref="Second"/> starts are unix seconds, <see cref="Minute"/> starts unix minutes.</summary>
public enum RateWindowKind : short { Second = 1, Minute = 2 }

/// <summary>Requests one node counted in one window since it last reported them.</summary>
public sealed record WindowDelta(Guid WorkspaceId, RateWindowKind Kind, long Start, int Added);

/// <summary>A window's count over every node.</summary>
public sealed record WindowTotal(Guid WorkspaceId, RateWindowKind Kind, long Start, int Count);

/// <summary>Rate-limit windows shared by every node (PostgreSQL); a single node has none and counts in memory.</summary>
public interface IRateWindowStore
{
    /// <summary>
    /// Adds each delta to its window (an <see cref="WindowDelta.Added"/> of 0 adds nothing) and returns the total of every
    /// window listed, in one round trip. Windows are listed at most once each.
    /// </summary>
    Task<IReadOnlyList<WindowTotal>> AddAsync(IReadOnlyList<WindowDelta> deltas, CancellationToken ct = default);
}
