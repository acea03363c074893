using System.Text.Json;
using System.Text.RegularExpressions;
using static Hookline.Tests.Slack.SlackSamples;

namespace Hookline.Tests.Slack;

/// <summary>Every message is Block Kit Slack accepts, whatever the event holds; event text can never become markup.</summary>
public sealed partial class BlockKitTests
{
    private static readonly string?[] Languages = ["en-GB", "de-DE", "en-US", "de-AT", "fr-FR", null];

    public static TheoryData<string> AllEventTypes() => [.. EventTypes.Append("task_updated").Append("made_up_event")];

    [Theory]
    [MemberData(nameof(AllEventTypes))]
    public void EverySampleIsValidBlockKitInEveryLanguage(string eventType)
    {
        foreach (var language in Languages) BlockKit.AssertValid(Render(eventType, language));
    }

    private const string Hostile = "<!channel> <@U123> <!here|here> <https://evil.example|click> Tom & Jerry > 1 | x *b* _i_ ~s~ `c` " +
        "\u0000\u0007\u001b\u009b\u202e 🚀 👩‍💻 &amp; &lt;";

    private static string HostilePayload(string eventType, string? link, int repeat = 1)
    {
        var h = string.Concat(Enumerable.Repeat(Hostile, repeat));
        var person = new { firstName = h, lastName = h };
        var status = new { name = h };
        return JsonSerializer.Serialize(new
        {
            timestamp = "2026-11-27T09:17:42Z", eventType, entityId = h, entityType = h, entityLink = link, traceId = h,
            entity = new
            {
                name = h, message = h + "\n" + h + "\n\n" + h, user = person, task = new { name = h }, project = new { name = h },
                taskStatus = status, startOn = "2026-03-01", endOn = "2026-03-02", lastFailureReason = h,
                delivery = new { eventType = h, reason = h, attempts = 3 },
            },
            triggeredBy = person,
            changes = new[] { new { property = "status", old = status, @new = status } },
        });
    }

    [Theory]
    [MemberData(nameof(AllEventTypes))]
    public void EventTextCannotInjectLinksMentionsOrMarkup(string eventType)
    {
        const string link = "https://acme.awork.com/t?a=1&b=<2>|x";
        foreach (var language in new[] { "en-GB", "de-DE" })
        {
            var body = Render(eventType, HostilePayload(eventType, link), language);
            BlockKit.AssertValid(body);
            foreach (var text in BlockKit.Texts(body))
            {
                foreach (Match m in OwnLink().Matches(text)) Assert.Equal("https://acme.awork.com/t?a=1&amp;b=%3C2%3E%7Cx", m.Groups["url"].Value);
                AssertNoMarkupFromEvent(text);
            }
            if (eventType == Hookline.Delivery.DeliveryApi.TestEventType) continue;
            Assert.Contains("&lt;!channel&gt; &lt;@U123&gt;", BlockKit.Texts(body)[0]);
            if (Hookline.Webhooks.EventTypes.Operational.Contains(eventType))
            {
                Assert.Contains("&lt;!channel&gt; &lt;@U123&gt;", BlockKit.Texts(body)[1]); // the reason, escaped as well
                Assert.DoesNotContain(BlockKit.Texts(body), t => OwnLink().IsMatch(t)); // about a webhook: nothing to link to
                continue;
            }
            Assert.Single(OwnLink().Matches(BlockKit.Texts(body)[1]));
        }
    }

    /// <summary>Apart from Hookline's own links and quote marks, no &lt; or &gt; survives, and every &amp; starts an escape.</summary>
    private static void AssertNoMarkupFromEvent(string text)
    {
        var bare = QuoteMark().Replace(OwnLink().Replace(text, "LINK"), "");
        Assert.DoesNotContain('<', bare);
        Assert.DoesNotContain('>', bare);
        Assert.Matches("^(?:[^&]|&amp;|&lt;|&gt;)*$", text);
        Assert.DoesNotContain(text, c => char.IsControl(c) && c != '\n');
        Assert.DoesNotContain('\u202e', text);
        for (var i = 0; i < text.Length; i++)
            if (char.IsSurrogate(text[i])) Assert.True(char.IsSurrogatePair(text, i) || (i > 0 && char.IsSurrogatePair(text, i - 1)), "A lone surrogate.");
    }

    [GeneratedRegex(@"<(?<url>https?://[^|<>\s]+)\|(?<text>[^<>|]+)>")]
    private static partial Regex OwnLink();

    [GeneratedRegex("(?m)^> ")]
    private static partial Regex QuoteMark();

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://files.example/x")]
    [InlineData("/tasks/1")]
    [InlineData("https://")]
    [InlineData("not a link")]
    public void OnlyAbsoluteHttpLinksAreLinked(string link)
    {
        foreach (var eventType in EventTypes)
        {
            var body = Render(eventType, HostilePayload(eventType, link), "en-GB");
            BlockKit.AssertValid(body);
            Assert.All(BlockKit.Texts(body), text => Assert.DoesNotContain('<', text));
        }
    }

    [Fact]
    public void HugeValuesAreShortenedWithinSlacksLimits()
    {
        var longLink = "https://acme.awork.com/" + new string('a', 3000);
        foreach (var eventType in EventTypes.Append("task_updated"))
        {
            foreach (var link in new[] { "https://acme.awork.com/t?a=1&b=2", longLink })
            {
                var body = Render(eventType, HostilePayload(eventType, link, repeat: 100), "de-DE");
                BlockKit.AssertValid(body);
                Assert.All(BlockKit.Texts(body), AssertNoMarkupFromEvent);
                Assert.DoesNotContain(longLink, Pretty(body));
            }
        }
        var comment = Json(Render("task_comment_added", JsonSerializer.Serialize(new { entity = new { message = new string('&', 10_000) } }), "en-GB"));
        var quoted = comment.GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString()!;
        Assert.Equal("> " + string.Concat(Enumerable.Repeat("&amp;", 299)) + "…", quoted);
    }

    [Fact]
    public void ShorteningNeverCutsAnEscapeOrAnEmoji()
    {
        Assert.Equal("&amp;&amp;…", Hookline.Delivery.Slack.SlackMarkup.Instance.Escape(new string('&', 10), 13));
        Assert.Equal("a🚀…", Hookline.Delivery.Slack.SlackMarkup.Instance.Escape("a🚀🚀🚀", 5));
        Assert.Equal("ab👩‍💻…", Hookline.Delivery.Slack.SlackMarkup.Instance.Escape("ab👩‍💻👩‍💻", 9));
        Assert.Equal("x&amp;…", Hookline.Delivery.Slack.SlackMarkup.Instance.Fit("x&amp;&amp;&lt;", 10));
        Assert.Equal("x…", Hookline.Delivery.Slack.SlackMarkup.Instance.Fit("x&amp;&amp;&lt;", 5));
    }

    public static TheoryData<string> MalformedPayloads() =>
    [
        """{"entity":"just text","triggeredBy":"also text","changes":"changed"}""",
        """{"entity":[1,{"name":"x"}],"triggeredBy":[],"changes":{"status":"Done"}}""",
        """{"entity":null,"changes":[1,"x",null,{"property":5},{"property":"status","old":[1],"new":{"name":{"deep":true}}}]}""",
        """{"entity":42,"triggeredBy":{"firstName":7,"lastName":null},"timestamp":"yesterday","entityLink":12}""",
        """{"entity":{"name":{"en":"x"},"user":"Tom","task":[],"startOn":"2026-13-45","endOn":true,"message":["a"]},"timestamp":1}""",
        """{"entity":{"name":"\ud800 lone","message":"\udfff"},"triggeredBy":{"name":"\ud83d"},"entityType":"task"}""",
        """{"eventType":"task_added"}""",
        "{}", "[]", "null", "\"text\"", "not json {", "",
    ];

    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public void OddPayloadsStillRenderValidMessages(string payload)
    {
        foreach (var eventType in EventTypes.Append("task_updated"))
            foreach (var language in new[] { "en-GB", "de-DE" })
            {
                var body = Render(eventType, payload, language);
                BlockKit.AssertValid(body);
                Assert.All(BlockKit.Texts(body), AssertNoMarkupFromEvent);
            }
    }
}
