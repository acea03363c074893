using System.Text;
using System.Text.Json;
using Hookline.Delivery;
using Hookline.Tests.Support;

namespace Hookline.Tests.Delivery;

public sealed class SigningTests
{
    private static readonly JsonElement Vectors =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "standard-webhooks-vectors.json"))).RootElement;

    public static TheoryData<int> ValidIndexes => new() { 0, 1 };

    [Theory]
    [MemberData(nameof(ValidIndexes))]
    public void SignaturesMatchTheStandardWebhooksVectors(int index)
    {
        var v = Vectors.GetProperty("valid")[index];
        var signature = Signing.Sign(v.GetProperty("secret").GetString()!, v.GetProperty("id").GetString()!,
            v.GetProperty("timestamp").GetInt64(), Encoding.UTF8.GetBytes(v.GetProperty("body").GetString()!));
        Assert.Equal(v.GetProperty("signature").GetString(), signature);
    }

    [Fact]
    public void TheIndependentVerifierAcceptsTheVectorsAndRejectsTheInvalidOnes()
    {
        var v = Vectors.GetProperty("valid")[0];
        string secret = v.GetProperty("secret").GetString()!, id = v.GetProperty("id").GetString()!, body = v.GetProperty("body").GetString()!;
        var ts = v.GetProperty("timestamp").GetInt64();
        var at = DateTimeOffset.FromUnixTimeSeconds(ts);
        Assert.True(StandardWebhooksVerifier.Verify(secret, id, ts.ToString(), body, v.GetProperty("signature").GetString()!, at));
        Assert.True(StandardWebhooksVerifier.Verify(secret, id, ts.ToString(), body, Vectors.GetProperty("multiSignatureHeaderThatMustVerify").GetString()!, at));
        foreach (var bad in Vectors.GetProperty("invalidSignatures").EnumerateArray())
            Assert.False(StandardWebhooksVerifier.Verify(secret, id, ts.ToString(), body, bad.GetString()!, at));
        var tolerance = Vectors.GetProperty("toleranceSeconds").GetInt32();
        Assert.False(StandardWebhooksVerifier.Verify(secret, id, ts.ToString(), body, v.GetProperty("signature").GetString()!, at.AddSeconds(tolerance + 1)));
        Assert.False(StandardWebhooksVerifier.Verify(secret, id, ts.ToString(), body + " ", v.GetProperty("signature").GetString()!, at));
    }

    [Fact]
    public void AHeaderCarriesOneSignaturePerLiveSecret()
    {
        var body = "{}"u8.ToArray();
        string a = Signing.NewSecret(), b = Signing.NewSecret();
        var header = Signing.Header([a, b], "msg_1", 1700000000, body);
        Assert.Equal([Signing.Sign(a, "msg_1", 1700000000, body), Signing.Sign(b, "msg_1", 1700000000, body)], header.Split(' '));
        Assert.Matches("^whsec_[A-Za-z0-9+/]{32}$", a);
        Assert.NotEqual(a, b);
    }

    private static readonly JsonElement Ed25519Vector =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "ed25519-vector.json"))).RootElement;

    [Fact]
    public void Ed25519SignaturesMatchTheVectorMadeWithNode()
    {
        var v = Ed25519Vector;
        var privateKey = v.GetProperty("privateKey").GetString()!;
        Assert.Equal(v.GetProperty("signature").GetString(), Signing.Sign(privateKey, v.GetProperty("msgId").GetString()!,
            v.GetProperty("timestamp").GetInt64(), Encoding.UTF8.GetBytes(v.GetProperty("payload").GetString()!)));
        Assert.Equal(v.GetProperty("publicKey").GetString(), Signing.Shown(privateKey));
        Assert.Equal((Signing.Ed25519, Signing.Ed25519), (Signing.AlgorithmOf(privateKey), Signing.AlgorithmOf(Signing.Shown(privateKey))));
    }

    [NodeFact]
    public async Task NewEd25519KeysSignWhatNodeVerifiesAndNothingElse()
    {
        string a = Signing.NewSecret(Signing.Ed25519), b = Signing.NewSecret(Signing.Ed25519), hmac = Signing.NewSecret(Signing.Hmac);
        Assert.Matches("^whsk_[A-Za-z0-9+/]{86}==$", a);
        Assert.Matches("^whpk_[A-Za-z0-9+/]{43}=$", Signing.Shown(a));
        Assert.Equal(hmac, Signing.Shown(hmac)); // a shared secret is what the receiver keeps
        var body = "{\"entity\":\"ü\"}";
        var header = Signing.Header([hmac, a, b], "msg_2", 1700000000, Encoding.UTF8.GetBytes(body));
        Assert.Equal(["v1", "v1a", "v1a"], header.Split(' ').Select(s => s[..s.IndexOf(',')]));
        Assert.True(await NodeEd25519.VerifyAsync(Signing.Shown(a), "msg_2", "1700000000", body, header));
        Assert.True(await NodeEd25519.VerifyAsync(Signing.Shown(b), "msg_2", "1700000000", body, header));
        Assert.False(await NodeEd25519.VerifyAsync(Signing.Shown(Signing.NewSecret(Signing.Ed25519)), "msg_2", "1700000000", body, header));
        Assert.False(await NodeEd25519.VerifyAsync(Signing.Shown(a), "msg_2", "1700000000", body + " ", header));
        Assert.False(await NodeEd25519.VerifyAsync(Signing.Shown(a), "msg_3", "1700000000", body, header));
    }
}
