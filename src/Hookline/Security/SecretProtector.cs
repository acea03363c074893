using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Hookline.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace Hookline.Security;

/// <summary>
/// Encrypts webhook signing secrets and authentication values for the database with ASP.NET Core Data Protection,
/// so that a copy of the database alone (a backup, a dump) gives none of them away. Stores keep strings; this is
/// applied where values are written and where they are used.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    /// <summary>Marks ciphertext. Neither a <c>whsec_</c> secret nor a <c>Name=value</c> header can start with it.</summary>
    public const string Prefix = "dp1:";
    private readonly IDataProtector _protector = provider.CreateProtector("Hookline.Secrets.v1");

    // Every delivery needs its webhook's secrets; decrypting them each time cost ~30-50 µs of CPU per delivery in the bench
    // (about a fifth of a delivery's CPU; dotnet-trace put Unprotect alone at ~6 % of samples). The process
    // holds them in memory while signing anyway. Keyed by ciphertext, so a rotated or changed value is a new entry.
    private const int MaxRevealed = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _revealed = new(StringComparer.Ordinal);

    [return: NotNullIfNotNull(nameof(plaintext))]
    public string? Protect(string? plaintext) =>
        plaintext is null || IsProtected(plaintext) ? plaintext : Prefix + _protector.Protect(plaintext);

    /// <summary>The plaintext; a value without the prefix (written by a Hookline before encryption) is returned as it is.</summary>
    [return: NotNullIfNotNull(nameof(stored))]
    public string? Unprotect(string? stored)
    {
        if (stored is null || !IsProtected(stored)) return stored;
        try
        {
            if (_revealed.TryGetValue(stored, out var known)) return known;
            var plaintext = _protector.Unprotect(stored[Prefix.Length..]);
            if (_revealed.Count >= MaxRevealed) _revealed.Clear();
            _revealed[stored] = plaintext;
            return plaintext;
        }
        catch (CryptographicException e)
        {
            throw new SecretUnreadableException(e);
        }
    }

    public static bool IsProtected(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    public Webhook Reveal(Webhook webhook) => webhook with { Authentication = Unprotect(webhook.Authentication) };

    /// <summary>
    /// The target with readable secrets and authentication. An older secret (in its grace period after a rotation)
    /// that cannot be read is left out, so that rotating is the way out after a lost key ring; the current one must be readable.
    /// </summary>
    public WebhookTarget Reveal(WebhookTarget target)
    {
        var secrets = new List<string>(target.Secrets.Count);
        for (var i = 0; i < target.Secrets.Count; i++)
        {
            try { secrets.Add(Unprotect(target.Secrets[i])); }
            catch (SecretUnreadableException) when (i > 0) { }
        }
        return target with { Secrets = secrets, Authentication = Unprotect(target.Authentication) };
    }
}

/// <summary>A stored secret that this node's Data Protection key ring cannot decrypt: the key ring is missing or not shared.</summary>
public sealed class SecretUnreadableException(Exception inner) : Exception(
    "A stored webhook secret cannot be decrypted: the Data Protection key ring that encrypted it is not available to this node " +
    $"(Hookline:DataProtection:KeysPath, shared by every node). Restore the key ring, or set the webhook's authentication again and rotate its secret. {inner.Message}",
    inner);
