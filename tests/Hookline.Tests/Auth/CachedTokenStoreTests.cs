using Hookline.Auth;
using Hookline.Storage;
using Hookline.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Auth;

/// <summary>Tokens are remembered for a second: revoked through this node they stop at once, revoked elsewhere within the second.</summary>
public sealed class CachedTokenStoreTests : IAsyncLifetime
{
    private readonly StoreSet _stores = StoreSet.Sqlite();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Guid _workspace = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        await _stores.Schema.MigrateAsync();
        await _stores.Tokens.EnsureWorkspaceAsync(_workspace, "w");
    }

    public Task DisposeAsync()
    {
        _stores.Dispose();
        return Task.CompletedTask;
    }

    private async Task<ApiToken> NewTokenAsync(string hash)
    {
        var token = new ApiToken(Guid.NewGuid(), _workspace, "t", [Permissions.Admin], hash, _time.GetUtcNow(), null, null);
        await _stores.Tokens.InsertAsync(token);
        return token;
    }

    [Fact]
    public async Task ATokenRevokedElsewhereIsRememberedAtMostOneLifetime()
    {
        var token = await NewTokenAsync("hash-1");
        var cache = new CachedTokenStore(_stores.Tokens, _time);
        Assert.Null((await cache.FindByHashAsync("hash-1"))!.RevokedOn);

        Assert.True(await _stores.Tokens.RevokeAsync(token.Id, _time.GetUtcNow())); // another node, or the CLI
        _time.Advance(CachedTokenStore.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.Null((await cache.FindByHashAsync("hash-1"))!.RevokedOn);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotNull((await cache.FindByHashAsync("hash-1"))!.RevokedOn);
    }

    [Fact]
    public async Task ATokenRevokedThroughTheCacheStopsAtOnce()
    {
        var token = await NewTokenAsync("hash-2");
        var cache = new CachedTokenStore(_stores.Tokens, _time);
        Assert.Null((await cache.FindByHashAsync("hash-2"))!.RevokedOn);
        Assert.True(await cache.RevokeAsync(token.Id, _time.GetUtcNow()));
        Assert.NotNull((await cache.FindByHashAsync("hash-2"))!.RevokedOn);
    }

    [Fact]
    public async Task AnUnknownTokenIsNotRemembered()
    {
        var cache = new CachedTokenStore(_stores.Tokens, _time);
        Assert.Null(await cache.FindByHashAsync("hash-3"));
        await NewTokenAsync("hash-3");
        Assert.NotNull(await cache.FindByHashAsync("hash-3"));
    }
}
