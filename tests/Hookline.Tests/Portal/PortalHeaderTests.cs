using System.Net;
using Hookline.Tests.Support;

namespace Hookline.Tests.Portal;

/// <summary>The portal's security headers, as a browser receives them, with and without origins allowed to frame it.</summary>
public sealed class PortalHeaderTests
{
    [Fact]
    public async Task ThePortalMayNotBeFramedScriptedOrSniffedUnlessAnOriginIsAllowedToFrameIt()
    {
        await using var closed = new HooklineFactory();
        var page = await closed.CreateClient().GetAsync("/portal/signin");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.EndsWith("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.False((await closed.CreateClient().GetAsync("/api/v1/webhooks")).Headers.Contains("Content-Security-Policy")); // the API is not a page

        await using var embedded = new HooklineFactory(new()
        {
            ["Hookline:Portal:FrameAncestors:0"] = "https://app.example.com", ["Hookline:Portal:FrameAncestors:1"] = "https://admin.example.com:8443",
        });
        var framed = await embedded.CreateClient().GetAsync("/portal/signin");
        Assert.EndsWith("frame-ancestors https://app.example.com https://admin.example.com:8443",
            framed.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("https://app.example.com", true)]
    [InlineData("http://localhost:3000", true)]
    [InlineData("https://app.example.com/", true)]
    [InlineData("https://app.example.com/embed", false)]
    [InlineData("https://app.example.com; script-src *", false)]
    [InlineData("'self'", false)]
    [InlineData("*", false)]
    [InlineData("ftp://files.example.com", false)]
    [InlineData("https://user@app.example.com", false)]
    public void OnlyPlainOriginsMayFrameThePortal(string value, bool allowed) => Assert.Equal(allowed, Hookline.Portal.PortalOptions.IsOrigin(value));
}
