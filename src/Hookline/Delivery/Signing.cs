using System.Security.Cryptography;
using System.Text;

namespace Hookline.Delivery;

/// <summary>Standard Webhooks signatures: <c>v1,</c> + base64(HMAC-SHA256(key, id.timestamp.body)).</summary>
public static class Signing
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>The <c>webhook-signature</c> value: one signature per live secret, space-separated.</summary>
    public static string Header(IReadOnlyList<string> secrets, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var signatures = new string[secrets.Count];
        for (var i = 0; i < secrets.Count; i++) signatures[i] = Sign(secrets[i], messageId, timestamp, body);
        return string.Join(' ', signatures);
    }
}
