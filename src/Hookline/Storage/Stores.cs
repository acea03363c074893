namespace Hookline.Storage;

// The store contract. Every implementation (SQLite now, PostgreSQL later) passes the same store test suite.
// Every call that touches workspace data takes the workspace id, so no query can cross workspaces.

public interface IDatabase
{
    /// <summary>Applies pending migrations; refuses a database written by a newer Hookline.</summary>
    Task<MigrationResult> MigrateAsync(CancellationToken ct = default);
    Task<bool> PingAsync(CancellationToken ct = default);
}

public sealed record MigrationResult(int From, int To, IReadOnlyList<int> Applied);

public interface ITokenStore
{
    Task<Workspace> EnsureWorkspaceAsync(Guid id, string name, CancellationToken ct = default);
    Task<bool> AnyTokensAsync(CancellationToken ct = default);
    /// <summary>
    /// Stores the workspace and its admin token only if no token exists yet, atomically, so that of several nodes
    /// starting together on an empty database exactly one bootstraps.
    /// </summary>
    Task<bool> InsertFirstAdminAsync(Workspace workspace, ApiToken token, CancellationToken ct = default);
    Task InsertAsync(ApiToken token, CancellationToken ct = default);
    Task<ApiToken?> FindByHashAsync(string tokenHash, CancellationToken ct = default);
    Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken ct = default);
    /// <summary>True when the token was active and is revoked now; false when there is no such token or it was revoked before.</summary>
    Task<bool> RevokeAsync(Guid id, DateTimeOffset when, CancellationToken ct = default);
    Task<IReadOnlyList<Workspace>> ListWorkspacesAsync(CancellationToken ct = default);
    Task TouchAsync(Guid id, DateTimeOffset when, CancellationToken ct = default);
}

public interface IWebhookStore
{
    Task<Webhook?> GetAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
    Task<Page<Webhook>> ListAsync(Guid workspaceId, ListQuery query, CancellationToken ct = default);
    /// <summary>Stores a new webhook with its first signing secret.</summary>
    Task InsertAsync(Webhook webhook, string secret, CancellationToken ct = default);
    /// <summary>Replaces the editable fields (deactivating cancels the queue); false when no such webhook exists in the workspace.</summary>
    Task<bool> UpdateAsync(Webhook webhook, CancellationToken ct = default);
    /// <summary>The webhook's delivery policy; null when no such webhook exists in the workspace.</summary>
    Task<DeliveryPolicy?> GetPolicyAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
    /// <summary>Replaces the webhook's delivery policy (deliveries queued before keep their number of attempts); false when not found.</summary>
    Task<bool> SetPolicyAsync(Guid workspaceId, Guid id, DeliveryPolicy policy, CancellationToken ct = default);
    /// <summary>Deletes the webhook, its logs and secrets, and cancels its queued deliveries.</summary>
    Task<bool> DeleteAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
    /// <summary>The current signing secret; null when no such webhook exists in the workspace.</summary>
    Task<string?> GetSecretAsync(Guid workspaceId, Guid id, CancellationToken ct = default);
    /// <summary>Makes <paramref name="secret"/> current; the old one keeps signing until <paramref name="oldExpiresOn"/>.</summary>
    Task<bool> RotateSecretAsync(Guid workspaceId, Guid id, string secret, DateTimeOffset now, DateTimeOffset oldExpiresOn, CancellationToken ct = default);
    /// <summary>Gives every webhook without a current secret one (webhooks created before signing existed).</summary>
    Task<int> AddMissingSecretsAsync(Func<string> newSecret, DateTimeOffset now, CancellationToken ct = default);
    /// <summary>
    /// Replaces every signing secret and authentication value that does not start with <paramref name="prefix"/> by
    /// <paramref name="protect"/>(value): encrypts what older Hooklines stored in plaintext. Returns how many changed.
    /// </summary>
    Task<int> ProtectSecretsAsync(string prefix, Func<string, string> protect, CancellationToken ct = default);
    Task<Page<DeliveryLog>> ListLogsAsync(Guid workspaceId, Guid webhookId, ListQuery query, CancellationToken ct = default);
    /// <summary>One attempt, with the node that made it and the delivery's message id; null when not in this workspace's webhook.</summary>
    Task<LogDetail?> GetLogAsync(Guid workspaceId, Guid webhookId, Guid logId, CancellationToken ct = default);
    /// <summary>Per webhook of the workspace: attempts and successes since <paramref name="since"/>, and its latest attempt ever.</summary>
    Task<IReadOnlyDictionary<Guid, WebhookActivity>> ActivityAsync(Guid workspaceId, DateTimeOffset since, CancellationToken ct = default);
    Task AddLogsAsync(IReadOnlyList<DeliveryLog> logs, CancellationToken ct = default);
}

public interface IPortalStore
{
    /// <summary>Records that a portal link opened a session; false when it had done so before (a link opens one session, once).</summary>
    Task<bool> UseLinkAsync(Guid linkId, DateTimeOffset now, DateTimeOffset expiresOn, CancellationToken ct = default);
}
