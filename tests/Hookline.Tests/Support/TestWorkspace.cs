using Hookline.Auth;

namespace Hookline.Tests.Support;

/// <summary>A Hookline with one workspace, its admin and its publisher: where an end-to-end test starts.</summary>
public sealed class TestWorkspace : IDisposable
{
    private TestWorkspace(HooklineFactory app, Guid id, HttpClient admin, HttpClient publisher) =>
        (App, Id, Admin, Publisher) = (app, id, admin, publisher);

    public HooklineFactory App { get; }
    public Guid Id { get; }
    public HttpClient Admin { get; }
    public HttpClient Publisher { get; }

    public static async Task<TestWorkspace> StartAsync(Dictionary<string, string?> settings)
    {
        var (app, id) = (new HooklineFactory(settings), Guid.NewGuid());
        return new(app, id, await app.AdminAsync(id), await app.ClientAsync(id, Permissions.EventsPublish));
    }

    public void Dispose() => App.Dispose();
}
