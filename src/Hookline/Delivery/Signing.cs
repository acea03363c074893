using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Hookline.Delivery;

/// <summary>
/// Standard Webhooks signatures over <c>id.timestamp.body</c>: symmetric <c>v1,</c> + base64(HMAC-SHA256) with a shared
/// <c>whsec_</c> secret, or asymmetric <c>v1a,</c> + base64(Ed25519) with a <c>whsk_</c> private key that never leaves
/// Hookline; receivers then verify with its <c>whpk_</c> public key. A webhook's secrets may be of both kinds at once
/// (during the grace period of a rotation from one to the other): each live one adds its signature.
/// </summary>
public static class Signing
{
    public const string SecretPrefix = "whsec_";
    public const string PrivateKeyPrefix = "whsk_";
    public const string PublicKeyPrefix = "whpk_";
    public const string Hmac = "hmac-sha256";
    public const string Ed25519 = "ed25519";
    public static readonly IReadOnlyList<string> Algorithms = [Hmac, Ed25519];

    private static readonly SignatureAlgorithm Ed = SignatureAlgorithm.Ed25519;
    // Importing a key derives its public half (a scalar multiplication); a delivery then only signs.
    private static readonly ConcurrentDictionary<string, Key> Keys = new(StringComparer.Ordinal);

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>A new secret for <paramref name="algorithm"/>: a <c>whsec_</c> secret, or a <c>whsk_</c> private key (seed and public key, as libsodium keeps them).</summary>
    public static string NewSecret(string algorithm)
    {
        if (algorithm != Ed25519) return NewSecret();
        using var key = Key.Create(Ed, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return PrivateKeyPrefix + Convert.ToBase64String([.. key.Export(KeyBlobFormat.RawPrivateKey), .. key.PublicKey.Export(KeyBlobFormat.RawPublicKey)]);
    }

    public static string AlgorithmOf(string secretOrPublicKey) =>
        secretOrPublicKey.StartsWith(PrivateKeyPrefix, StringComparison.Ordinal) || secretOrPublicKey.StartsWith(PublicKeyPrefix, StringComparison.Ordinal)
            ? Ed25519 : Hmac;

    /// <summary>What a receiver is given to verify with: the <c>whsec_</c> secret itself, or the <c>whpk_</c> public key of a private one.</summary>
    public static string Shown(string secret) => secret.StartsWith(PrivateKeyPrefix, StringComparison.Ordinal)
        ? PublicKeyPrefix + Convert.ToBase64String(Convert.FromBase64String(secret[PrivateKeyPrefix.Length..]).AsSpan(32))
        : secret;

    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        if (secret.StartsWith(PrivateKeyPrefix, StringComparison.Ordinal)) return "v1a," + Convert.ToBase64String(Ed.Sign(PrivateKey(secret), content));
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>The <c>webhook-signature</c> value: one signature per live secret, space-separated.</summary>
    public static string Header(IReadOnlyList<string> secrets, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var signatures = new string[secrets.Count];
        for (var i = 0; i < secrets.Count; i++) signatures[i] = Sign(secrets[i], messageId, timestamp, body);
        return string.Join(' ', signatures);
    }

    private static Key PrivateKey(string secret)
    {
        if (Keys.TryGetValue(secret, out var cached)) return cached;
        if (Keys.Count >= 10_000) Keys.Clear(); // rotated-out keys: let them go now and then (the GC frees their handles)
        var seed = Convert.FromBase64String(secret[PrivateKeyPrefix.Length..]).AsSpan(0, 32);
        return Keys.GetOrAdd(secret, Key.Import(Ed, seed, KeyBlobFormat.RawPrivateKey));
    }
}
