using System.Net;
using Hookline.Storage;
using Hookline.Tests.Support;
using Hookline.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Hookline.Tests.Webhooks;

public sealed class WebhookListTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 10, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly HooklineFactory _app;
    private readonly Guid _workspace = Guid.NewGuid();

    public WebhookListTests() => _app = new HooklineFactory(time: _time);

    public void Dispose() => _app.Dispose();

    /// <summary>Creates five webhooks one minute apart: alpha..echo, every second one inactive.</summary>
    private async Task<(HttpClient Client, List<WebhookConfig> Hooks)> SeedAsync()
    {
        var client = await _app.AdminAsync(_workspace);
        var hooks = new List<WebhookConfig>();
        string[] names = ["alpha", "bravo", "charlie", "delta", "echo"];
        for (var i = 0; i < names.Length; i++)
        {
            hooks.Add(await client.CreateWebhookAsync(Json.Form(name: names[i], isActive: i % 2 == 0,
                uri: i == 4 ? "https://hooks.slack.com/services/e" : $"https://r{i}.example/h", events: i == 3 ? "task_comment_added" : "task_added")));
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        return (client, hooks);
    }

    [Fact]
    public async Task PagesCarryAworksPagingHeaders()
    {
        var (client, _) = await SeedAsync();
        var response = await client.GetAsync("/api/v1/webhooks?page=2&pageSize=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("aw-page").Single());
        Assert.Equal("2", response.Headers.GetValues("aw-pagesize").Single());
        Assert.Equal("2", response.Headers.GetValues("aw-items").Single());
        Assert.Equal("5", response.Headers.GetValues("aw-totalitems").Single());
        var page3 = await client.GetAsync("/api/v1/webhooks?page=3&pageSize=2");
        Assert.Equal("1", page3.Headers.GetValues("aw-items").Single());
        var beyond = await client.GetAsync("/api/v1/webhooks?page=9&pageSize=2");
        Assert.Equal("0", beyond.Headers.GetValues("aw-items").Single());
        Assert.Equal("5", beyond.Headers.GetValues("aw-totalitems").Single());
    }

    [Fact]
    public async Task ByDefaultWebhooksAreListedOldestFirstWithPageSize1000()
    {
        var (client, hooks) = await SeedAsync();
        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal("1000", response.Headers.GetValues("aw-pagesize").Single());
        var listed = await client.ListAsync<WebhookConfig>("/api/v1/webhooks");
        Assert.Equal(hooks.Select(h => h.Name), listed.Select(h => h.Name));
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=-1")]
    [InlineData("page=abc")]
    [InlineData("page=99999999999999999999")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=1001")]
    [InlineData("pageSize=1.5")]
    [InlineData("pageSize=1e3")]
    [InlineData("page=1&page=2")]
    public async Task AbsurdPagingIsAValidationError(string query)
    {
        var (client, _) = await SeedAsync();
        var response = await client.GetAsync($"/api/v1/webhooks?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("validation-failed", error.Code);
        Assert.Contains(error.ValidationErrors!, e => query.StartsWith(e.Property!, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("name eq 'charlie'", "charlie")]
    [InlineData("Name EQ 'charlie'", "charlie")]
    [InlineData("isActive eq true", "alpha,charlie,echo")]
    [InlineData("not isActive eq true", "bravo,delta")]
    [InlineData("isActive eq false and name ne 'bravo'", "delta")]
    [InlineData("name eq 'alpha' or (name eq 'echo' and isActive eq true)", "alpha,echo")]
    [InlineData("startswith(name,'ch')", "charlie")]
    [InlineData("endswith(name,'o')", "bravo,echo")]
    [InlineData("substringof('elt',name)", "delta")]
    [InlineData("receiverType eq 'slack'", "echo")]
    [InlineData("events eq 'task_comment_added'", "delta")]
    [InlineData("language eq null", "alpha,bravo,charlie,delta")]
    [InlineData("language ne null", "echo")]
    [InlineData("lastFailureReason eq null", "alpha,bravo,charlie,delta,echo")]
    [InlineData("createdOn ge datetime'2026-01-10T09:02:00Z'", "charlie,delta,echo")]
    [InlineData("createdOn lt datetime'2026-01-10T09:01'", "alpha")]
    [InlineData("name eq 'x'' or ''1''=''1'", "")]
    [InlineData("name eq 'alpha''; DROP TABLE webhooks; --'", "")]
    [InlineData("substringof('%',name)", "")]
    [InlineData("substringof('_',name)", "")]
    public async Task FilterbySelectsExactlyTheMatchingWebhooks(string filter, string expected)
    {
        var (client, _) = await SeedAsync();
        var listed = await client.ListAsync<WebhookConfig>($"/api/v1/webhooks?filterby={Uri.EscapeDataString(filter)}");
        Assert.Equal(expected, string.Join(',', listed.Select(h => h.Name)));
        Assert.Equal(5, (await client.ListAsync<WebhookConfig>("/api/v1/webhooks")).Count); // injection attempts changed nothing
    }

    [Fact]
    public async Task FilterbyOnIdsUsesGuidLiterals()
    {
        var (client, hooks) = await SeedAsync();
        var listed = await client.ListAsync<WebhookConfig>($"/api/v1/webhooks?filterby=id eq guid'{hooks[1].Id}'");
        Assert.Equal("bravo", Assert.Single(listed).Name);
    }

    [Theory]
    [InlineData("name desc", "echo,delta,charlie,bravo,alpha")]
    [InlineData("isActive desc,name", "alpha,charlie,echo,bravo,delta")]
    [InlineData("isActive,name desc", "delta,bravo,echo,charlie,alpha")]
    [InlineData("CREATEDON DESC", "echo,delta,charlie,bravo,alpha")]
    public async Task OrderbySortsByEachTermInTurn(string order, string expected)
    {
        var (client, _) = await SeedAsync();
        var listed = await client.ListAsync<WebhookConfig>($"/api/v1/webhooks?orderby={Uri.EscapeDataString(order)}");
        Assert.Equal(expected, string.Join(',', listed.Select(h => h.Name)));
    }

    [Theory]
    [InlineData("filterby", "nme eq 'x'")]
    [InlineData("filterby", "name eq")]
    [InlineData("filterby", "name eq 'unterminated")]
    [InlineData("filterby", "name eq 1")]
    [InlineData("filterby", "isActive gt true")]
    [InlineData("filterby", "(name eq 'a'")]
    [InlineData("filterby", "authentication eq 'X-Key=v'")]
    [InlineData("filterby", "name eq 'a'; DELETE FROM webhooks")]
    [InlineData("filterby", "1 eq 1")]
    [InlineData("filterby", "name eq name")]
    [InlineData("filterby", "unknownfn(name,'a')")]
    [InlineData("orderby", "name sideways")]
    [InlineData("orderby", "name,,createdOn")]
    [InlineData("orderby", "name; DROP TABLE webhooks")]
    [InlineData("orderby", "authentication")]
    [InlineData("orderby", "(select 1)")]
    public async Task MalformedOrHostileExpressionsAnswerInvalidFilterOrOrder(string parameter, string value)
    {
        var (client, _) = await SeedAsync();
        var response = await client.GetAsync($"/api/v1/webhooks?{parameter}={Uri.EscapeDataString(value)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ErrorAsync();
        Assert.Equal("invalid-filter-or-order", error.Code);
        Assert.StartsWith(parameter, Assert.Single(error.Details!));
        Assert.Equal(5, (await client.ListAsync<WebhookConfig>("/api/v1/webhooks")).Count);
    }

    [Fact]
    public async Task AVeryLongOrDeeplyNestedFilterIsRefusedNotCrashedOn()
    {
        var (client, _) = await SeedAsync();
        foreach (var filter in new[] { new string('(', 3000) + "name eq 'a'" + new string(')', 3000), string.Join(" or ", Enumerable.Repeat("name eq 'a'", 300)) })
        {
            var response = await client.GetAsync($"/api/v1/webhooks?filterby={Uri.EscapeDataString(filter)}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid-filter-or-order", (await response.ErrorAsync()).Code);
        }
    }

    [Fact]
    public async Task LogsAreListedNewestFirstAndSupportPagingFilteringAndOrdering()
    {
        var (client, hooks) = await SeedAsync();
        var hook = hooks[0];
        var store = _app.Service<IWebhookStore>();
        var logs = Enumerable.Range(0, 7)
            .Select(i => TestData.Log(_workspace, hook.Id, Start.AddSeconds(i), attempt: i + 1, responseCode: i % 3 == 0 ? 500 : 200,
                reason: i % 3 == 0 ? "HTTP 500" : null))
            .ToList();
        await store.AddLogsAsync(logs);
        await store.AddLogsAsync([TestData.Log(_workspace, hooks[1].Id, Start)]); // another webhook's log stays out

        var all = await client.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs");
        Assert.Equal(new[] { 7, 6, 5, 4, 3, 2, 1 }, all.Select(l => l.Attempt));
        Assert.All(all, l => Assert.Equal(hook.Id, l.WebhookId));

        var page = await client.GetAsync($"/api/v1/webhooks/{hook.Id}/logs?page=2&pageSize=3");
        Assert.Equal("3", page.Headers.GetValues("aw-items").Single());
        Assert.Equal("7", page.Headers.GetValues("aw-totalitems").Single());

        var failed = await client.ListAsync<WebhookLog>($"/api/v1/webhooks/{hook.Id}/logs?filterby=isSuccessful eq false&orderby=attempt");
        Assert.Equal(new[] { 1, 4, 7 }, failed.Select(l => l.Attempt));
        Assert.All(failed, l => Assert.Equal((500, "HTTP 500"), (l.ResponseCode, l.Reason)));

        var bad = await client.GetAsync($"/api/v1/webhooks/{hook.Id}/logs?filterby=responseCode eq 'x'");
        Assert.Equal("invalid-filter-or-order", (await bad.ErrorAsync()).Code);
    }

    [Fact]
    public async Task DeletingAWebhookRemovesItsLogs()
    {
        var (client, hooks) = await SeedAsync();
        var store = _app.Service<IWebhookStore>();
        await store.AddLogsAsync([TestData.Log(_workspace, hooks[0].Id, Start)]);
        await client.DeleteAsync($"/api/v1/webhooks/{hooks[0].Id}");
        var page = await store.ListLogsAsync(_workspace, hooks[0].Id, new ListQuery(null, WebhookFields.LogDefaultOrder, 1, 10));
        Assert.Equal(0, page.Total);
    }
}
