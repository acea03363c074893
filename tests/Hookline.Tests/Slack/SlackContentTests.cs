using System.Text.Json;
using static Hookline.Tests.Slack.SlackSamples;

namespace Hookline.Tests.Slack;

/// <summary>What the renderer reads out of payloads of the shapes producers actually send.</summary>
public sealed class SlackContentTests
{
    private static (string Text, string Sentence) RenderWith(string eventType, object entity, object? triggeredBy = null,
        object? changes = null, string language = "en-GB", string? entityLink = "https://acme.awork.com/x") =>
        Sentence(Render(eventType, JsonSerializer.Serialize(new
        {
            timestamp = "2026-11-27T09:17:42Z", eventType, entity, entityId = "id-1", entityType = "task", entityLink,
            traceId = "t", triggeredBy = triggeredBy ?? new { firstName = "Carla", lastName = "Creative" }, changes,
        }), language));

    [Fact]
    public void StatusChangesAreReadInEveryShapeAworkSends()
    {
        var task = new { name = "Ship it", taskStatus = new { name = "Done" } };
        Assert.Equal("Carla Creative moved the task Ship it from Review to Done",
            RenderWith("task_status_changed", task, changes: new[] { new { property = "Status", old = "Review", @new = "Done" } }).Text);
        Assert.Equal("Carla Creative moved the task Ship it from Review to Shipped",
            RenderWith("task_status_changed", task, changes: new[] { new { property = "TASKSTATUS", oldValue = new { name = "Review" }, newValue = new { name = "Shipped" } } }).Text);
        Assert.Equal("Carla Creative moved the task Ship it from Review to Done", RenderWith("task_status_changed", task,
            changes: new { status = new { old = "Review", @new = "Done" } }).Text);
        Assert.Equal("Carla Creative moved the task Ship it to Done", RenderWith("task_status_changed", task,
            changes: new[] { new { property = "taskStatusId", old = Guid.NewGuid().ToString(), @new = Guid.NewGuid().ToString() } }).Text);
        Assert.Equal("Carla Creative moved the task Ship it to Done", RenderWith("task_status_changed", task,
            changes: new[] { new { property = "name", old = "a", @new = "b" } }).Text);
        Assert.Equal("Carla Creative moved the task Ship it to Archived", RenderWith("task_status_changed", new { name = "Ship it", status = "Archived" }).Text);
        Assert.Equal("Carla Creative moved the project Ship it to Active",
            RenderWith("project_status_changed", new { name = "Ship it", status = new { name = "Active" } }).Text);
        Assert.Equal("Carla Creative changed the status of the task Ship it", RenderWith("task_status_changed", new { name = "Ship it" }).Text);
        Assert.Equal("Carla Creative hat den Status der Aufgabe Ship it geändert",
            RenderWith("task_status_changed", new { name = "Ship it" }, language: "de-DE").Text);
        Assert.Equal("Carla Creative hat die Aufgabe *<https://acme.awork.com/x|Ship it>* von *Review* auf *Erledigt* gesetzt",
            RenderWith("task_status_changed", task, changes: new[] { new { property = "status", old = "Review", @new = "Erledigt" } }, language: "de-DE").Sentence);
    }

    [Fact]
    public void EntityNamesFallBackFromNameToTitleSubjectPersonAndId()
    {
        Assert.Equal("Carla Creative created the task A", RenderWith("task_added", new { name = "A", title = "B" }).Text);
        Assert.Equal("Carla Creative created the task B", RenderWith("task_added", new { title = "B", subject = "C" }).Text);
        Assert.Equal("Carla Creative created the task C", RenderWith("task_added", new { subject = "C" }).Text);
        Assert.Equal("Carla Creative added Tom Tester to the workspace", RenderWith("user_added", new { firstName = "Tom", lastName = "Tester" }).Text);
        Assert.Equal("Carla Creative created the task id-1", RenderWith("task_added", new { name = "  " }).Text);
    }

    [Fact]
    public void ActorsComeFromTheirNamesOrAreSomeone()
    {
        Assert.Equal("Ops Bot created the task A", RenderWith("task_added", new { name = "A" }, triggeredBy: new { name = "Ops Bot" }).Text);
        Assert.Equal("Carla created the task A", RenderWith("task_added", new { name = "A" }, triggeredBy: new { firstName = "Carla" }).Text);
        Assert.Equal("Someone created the task A", RenderWith("task_added", new { name = "A" }, triggeredBy: new { id = "u1" }).Text);
        Assert.Equal("Jemand hat die Aufgabe A erstellt", RenderWith("task_added", new { name = "A" }, triggeredBy: new { id = "u1" }, language: "de-DE").Text);
    }

    [Fact]
    public void AssignmentsAndMembershipsNameThePersonAndTheTaskOrProject()
    {
        Assert.Equal("Carla Creative assigned the task Ship it to Tom Tester",
            RenderWith("taskassignment_added", new { user = new { firstName = "Tom", lastName = "Tester" }, task = new { name = "Ship it" } }).Text);
        Assert.Equal("Carla Creative assigned the task Ship it to Tom",
            RenderWith("taskassignment_added", new { name = "Ship it", assignee = new { name = "Tom" } }).Text);
        Assert.Equal("Carla Creative added an assignee to the task Ship it", RenderWith("taskassignment_added", new { name = "Ship it" }).Text);
        Assert.Equal("Carla Creative hat Tom Tester die Aufgabe Ship it zugewiesen",
            RenderWith("taskassignment_added", new { user = new { firstName = "Tom", lastName = "Tester" }, task = new { name = "Ship it" } }, language: "de-DE").Text);
        Assert.Equal("Carla Creative added Tom to the project Apollo",
            RenderWith("projectmember_added", new { member = new { firstName = "Tom" }, project = new { name = "Apollo" } }).Text);
        Assert.Equal("Carla Creative hat jemanden zum Projekt Apollo hinzugefügt",
            RenderWith("projectmember_added", new { project = new { name = "Apollo" } }, language: "de-DE").Text);
    }

    [Fact]
    public void AbsencesShowTheirDaysInTheCulturesLongDate()
    {
        var tom = new { firstName = "Tom", lastName = "Tester" };
        Assert.Equal("Carla Creative added an absence for Tom Tester on 1 March 2026",
            RenderWith("absence_added", new { user = tom, start = "2026-03-01", end = "2026-03-01T00:00:00+01:00" }).Text);
        Assert.Equal("Carla Creative hat eine Abwesenheit für Tom Tester vom 28. Dezember 2026 bis 8. Januar 2027 eingetragen",
            RenderWith("absence_added", new { user = tom, startOn = "2026-12-28", endOn = "2027-01-08T23:59:59Z" }, language: "de-DE").Text);
        Assert.Contains("vom 28. Dezember 2026 bis 8. Jänner 2027",
            RenderWith("absence_added", new { user = tom, startOn = "2026-12-28", endOn = "2027-01-08" }, language: "de-AT").Text);
        Assert.Equal("Carla Creative added an absence for someone", RenderWith("absence_added", new { startOn = "soon" }).Text);
        Assert.Equal("Carla Creative added <https://acme.awork.com/x|an absence> for *Tom Tester* on 1 March 2026",
            RenderWith("absence_added", new { user = tom, startOn = "2026-03-01" }).Sentence);
    }

    [Fact]
    public void CommentsShowTheirFirstParagraphShortenedTo300Characters()
    {
        var detail = Detail(new { message = "First line\r\nsecond  line\n \n\nNext paragraph", task = new { name = "T" } });
        Assert.Equal("> First line\n> second line …", detail);
        var longComment = Detail(new { text = string.Concat(Enumerable.Repeat("word ", 200)), task = new { name = "T" } });
        Assert.Equal(300 + 2, longComment!.Length);
        Assert.EndsWith("word…", longComment);
        Assert.Equal("> from the comment property", Detail(new { comment = "from the comment property" }));
        Assert.Null(Detail(new { message = " \n\n " }));
        Assert.Null(Detail(new { name = "no comment" }));
    }

    private static string? Detail(object entity)
    {
        var blocks = Json(Render("task_comment_added", JsonSerializer.Serialize(new { eventType = "task_comment_added", entity }), "en-GB"))
            .GetProperty("blocks").EnumerateArray().ToList();
        return blocks.Count > 1 && blocks[1].GetProperty("type").GetString() == "section"
            ? blocks[1].GetProperty("text").GetProperty("text").GetString()
            : null;
    }

    [Fact]
    public void OtherEventTypesGetTheGenericSentence()
    {
        Assert.Equal("Carla Creative: task_updated on task Ship it", RenderWith("task_updated", new { name = "Ship it" }).Text);
        Assert.Equal("Carla Creative: task_updated bei task Ship it", RenderWith("task_updated", new { name = "Ship it" }, language: "de-DE").Text);
        Assert.Equal("Carla Creative: `task_updated` on task *<https://acme.awork.com/x|Ship it>*", RenderWith("task_updated", new { name = "Ship it" }).Sentence);
        Assert.Equal("Someone: `odd_event` on an item", Sentence(Render("odd_event", "{}", "en-GB")).Sentence);
    }
}
