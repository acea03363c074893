using System.Globalization;
using System.Resources;
using Hookline.Delivery.Slack;
using static Hookline.Tests.Slack.SlackSamples;

namespace Hookline.Tests.Slack;

/// <summary>
/// Each Slack event type's message, kept as golden files in Slack/golden. After a deliberate change to the wording,
/// run <c>UPDATE_GOLDEN=1 dotnet test --filter FullyQualifiedName~SlackRendererTests</c> and read the diff.
/// </summary>
public sealed class SlackRendererTests
{
    public static TheoryData<string, string> Goldens()
    {
        var data = new TheoryData<string, string>();
        foreach (var eventType in EventTypes)
            foreach (var language in GoldenLanguages) data.Add(eventType, language);
        return data;
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void RendersTheGoldenMessage(string eventType, string language)
    {
        var actual = Pretty(Render(eventType, language));
        var path = Path.Combine(GoldenFolder(), $"{eventType}.{language}.json");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run UPDATE_GOLDEN=1 dotnet test to write it, then read it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    /// <summary>The golden files live beside this source file; tests run from tests/Hookline.Tests/bin/…, inside the clone.</summary>
    private static string GoldenFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hookline.Tests.csproj"))) return Path.Combine(dir.FullName, "Slack", "golden");
        throw new InvalidOperationException($"No Hookline.Tests.csproj above {AppContext.BaseDirectory}.");
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void EveryEventTypeHasItsOwnSentenceAndLink(string eventType, string language)
    {
        var (text, sentence) = Sentence(Render(eventType, language));
        Assert.DoesNotContain(eventType, text);
        Assert.DoesNotContain("(untitled)", text);
        Assert.DoesNotContain("(ohne Titel)", text);
        if (eventType == Hookline.Delivery.DeliveryApi.TestEventType) return;
        if (Hookline.Webhooks.EventTypes.Operational.Contains(eventType))
        {
            Assert.StartsWith(language.StartsWith("de") ? "Webhook Bestellungen " : "Webhook Orders ", text);
            return; // about a webhook: no person did it, and there is no awork page to link to
        }
        Assert.StartsWith("Carla Creative ", text);
        Assert.Contains("<https://acme.awork.com/", sentence);
    }

    [Fact]
    public void TheSlackRendererAsksForNoStandardWebhooksHeaders()
    {
        var rendered = new SlackRenderer().Render(SlackSamples.Delivery("task_added", Payload("task_added", "en-GB"), "en-GB"));
        Assert.False(rendered.StandardWebhooksHeaders);
        Assert.Equal("slack", new SlackRenderer().ReceiverType);
    }

    [Fact]
    public void AmericanEnglishWritesAmericanDates()
    {
        var payload = Payload("absence_added", "en-US");
        var us = BlockKit.Texts(Render("absence_added", payload, "en-US"));
        var gb = BlockKit.Texts(Render("absence_added", payload, "en-GB"));
        Assert.EndsWith("from March 2, 2026 to March 6, 2026", us[0]);
        Assert.Matches(@"^November 27, 2026, 9:17\sAM UTC$", us[2]);
        Assert.EndsWith("from 2 March 2026 to 6 March 2026", gb[0]);
        Assert.Equal("27 November 2026, 09:17 UTC", gb[2]);
        Assert.Equal(gb[0].Replace("2 March 2026", "#").Replace("6 March 2026", "#"), us[0].Replace("March 2, 2026", "#").Replace("March 6, 2026", "#"));
    }

    [Theory]
    [InlineData("fr-FR")]
    [InlineData("ja-JP")]
    [InlineData("xx-YY")]
    [InlineData("not a culture")]
    [InlineData("")]
    [InlineData(null)]
    public void UnsupportedOrMissingLanguagesReadAsBritishEnglish(string? language)
    {
        foreach (var eventType in EventTypes)
        {
            var payload = Payload(eventType, "en-GB");
            Assert.Equal(Render(eventType, payload, "en-GB"), Render(eventType, payload, language));
        }
    }

    [Theory]
    [InlineData("de-AT")]
    [InlineData("de-CH")]
    [InlineData("de")]
    public void AnyGermanCultureReadsGerman(string language)
    {
        var (text, _) = Sentence(Render("task_status_changed", Payload("task_status_changed", "de-DE"), language));
        Assert.Equal("Carla Creative hat die Aufgabe Release Notes schreiben von In Arbeit auf Erledigt gesetzt", text);
    }

    [Theory]
    [InlineData("en-US")]
    [InlineData("en-AU")]
    [InlineData("en")]
    public void AnyEnglishCultureReadsEnglish(string language)
    {
        var (text, _) = Sentence(Render("task_status_changed", Payload("task_status_changed", "en-GB"), language));
        Assert.Equal("Carla Creative moved the task Write the release notes from In progress to Done", text);
    }

    [Fact]
    public void TheGermanResourcesHaveEveryEnglishText()
    {
        var messages = new ResourceManager("Hookline.Delivery.Chat.ChatMessages", typeof(SlackRenderer).Assembly);
        var english = Keys(messages.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false));
        var german = Keys(messages.GetResourceSet(CultureInfo.GetCultureInfo("de"), createIfNotExists: true, tryParents: false));
        Assert.Contains("TaskStatusChanged", english);
        Assert.Equal(english, german);
    }

    private static List<string> Keys(ResourceSet? set) =>
        set?.Cast<System.Collections.DictionaryEntry>().Select(e => (string)e.Key).Order().ToList() ?? [];

    [Theory]
    [InlineData(403, "action_prohibited")]
    [InlineData(404, "no_service")]
    [InlineData(404, "channel_not_found")]
    [InlineData(410, "channel_is_archived")]
    [InlineData(404, "<html><body>Not Found</body></html>\n")]
    public void AnswersThatMeanTheWebhookIsGonePauseIt(int status, string body)
    {
        var reason = new SlackRenderer().PauseReason(status, body);
        Assert.NotNull(reason);
        Assert.StartsWith($"Paused: Slack answered {status}", reason);
        Assert.Contains("no longer works", reason);
        if (!body.Contains('\n')) Assert.Contains(body, reason);
    }

    [Theory]
    [InlineData(400, "invalid_payload")]
    [InlineData(429, "rate_limited")]
    [InlineData(500, "rollup_error")]
    [InlineData(503, null)]
    public void OtherAnswersDoNotPause(int status, string? body) => Assert.Null(new SlackRenderer().PauseReason(status, body));
}
