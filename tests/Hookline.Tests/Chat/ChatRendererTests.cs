using System.Text.Json;
using Hookline.Delivery;
using Hookline.Delivery.Discord;
using Hookline.Delivery.Teams;
using Hookline.Storage;
using Hookline.Tests.Slack;

namespace Hookline.Tests.Chat;

/// <summary>
/// Teams and Discord messages of every chat event type in English and German, kept as golden files in Chat/golden (after
/// a deliberate change, <c>UPDATE_GOLDEN=1 dotnet test --filter FullyQualifiedName~ChatRendererTests</c>, then read the
/// diff); every Teams card checked against the published Adaptive Card 1.5 schema and every Discord message against
/// Discord's embed limits, with the samples and with long and hostile event data.
/// </summary>
public sealed class ChatRendererTests
{
    private static readonly NJsonSchema.JsonSchema AdaptiveCard = NJsonSchema.JsonSchema.FromJsonAsync(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "adaptive-card-1.5.json"))).GetAwaiter().GetResult();

    /// <summary>What the schema finds wrong with a card: nothing when it is valid.</summary>
    private static List<string> Problems(JsonElement card) =>
        AdaptiveCard.Validate(card.GetRawText()).Select(e => $"{e.Path}: {e.Kind} {e}").ToList();

    public static TheoryData<string, string, string> Goldens()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var receiver in new[] { "teams", "discord" })
            foreach (var eventType in SlackSamples.EventTypes)
                foreach (var language in SlackSamples.GoldenLanguages) data.Add(receiver, eventType, language);
        return data;
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void RendersTheGoldenMessageWithinTheServicesSchemaAndLimits(string receiver, string eventType, string language)
    {
        var body = Render(receiver, eventType, SlackSamples.Payload(eventType, language), language);
        AssertValid(receiver, body);
        var actual = SlackSamples.Pretty(body);
        var path = Path.Combine(GoldenFolder(), receiver, $"{eventType}.{language}.json");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run UPDATE_GOLDEN=1 dotnet test to write it, then read it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    public static TheoryData<string, string> Hostile()
    {
        var data = new TheoryData<string, string>();
        foreach (var receiver in new[] { "teams", "discord" })
            foreach (var eventType in new[] { "task_added", "task_comment_added", "task_status_changed", "project_added", "absence_added", "user_added" })
                data.Add(receiver, eventType);
        return data;
    }

    /// <summary>Names and comments that try to mention everyone, link elsewhere, format, overflow or break the JSON.</summary>
    private static string HostilePayload(string eventType)
    {
        const string attack = "@everyone @here <@123456> <@&42> <#7> <at>Boss</at> [click](https://evil.example/x) https://evil.example " +
            "www.evil.example **bold** __u__ ~~s~~ ||spoiler|| `code` # Heading\n> quote\n- item \u202Eevil\u202C \ud800 \u0000 🚀👩‍💻 ";
        var longName = string.Concat(Enumerable.Repeat(attack, 200));
        return JsonSerializer.Serialize(new
        {
            timestamp = "2026-11-27T09:17:42Z", eventType,
            entity = new
            {
                name = longName, message = longName, user = new { firstName = attack, lastName = longName },
                project = new { name = longName }, taskStatus = new { name = attack }, startOn = "2026-03-02", endOn = "2026-03-06",
            },
            entityId = "x", entityType = "task**<@1>", entityLink = "https://acme.awork.com/tasks/1?q=(a)&b=<c>|d e",
            triggeredBy = new { firstName = attack, lastName = longName },
            changes = new object[] { new { property = "taskStatus", old = attack, @new = longName } },
        });
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileEventDataStaysTextAndWithinTheLimits(string receiver, string eventType)
    {
        foreach (var language in SlackSamples.GoldenLanguages)
        {
            var body = Render(receiver, eventType, HostilePayload(eventType), language);
            AssertValid(receiver, body);
            var root = JsonDocument.Parse(body).RootElement;
            if (receiver == "discord")
            {
                Assert.Empty(root.GetProperty("allowed_mentions").GetProperty("parse").EnumerateArray());
                var text = root.GetProperty("embeds")[0].GetProperty("description").GetString()!;
                Assert.Contains("\\@everyone", text);
                // every piece of markup from the data is escaped: without its escaped characters, none of it is left
                var unescaped = System.Text.RegularExpressions.Regex.Replace(text, @"\\.", "");
                foreach (var raw in new[] { "@", "<", "[click]", "**bold**", "||", "https://evil", "# Heading", "`code`" })
                    Assert.DoesNotContain(raw, unescaped, StringComparison.Ordinal);
                Assert.Contains("](https://acme.awork.com/tasks/1?q=%28a%29&b=%3Cc%3E%7Cd%20e)", text); // Hookline's own link only
                Assert.Equal(1, CountOf(text, "](http"));
            }
            else
            {
                var card = root.GetProperty("attachments")[0].GetProperty("content");
                var texts = card.GetProperty("body").EnumerateArray().Select(b => b.GetProperty("text").GetString()!).Append(card.GetProperty("fallbackText").GetString()!);
                foreach (var text in texts)
                    foreach (var raw in new[] { "[click]", "**bold**", "https://evil", "www.evil", "__u__", "`code`", "\u202E" })
                        Assert.DoesNotContain(raw, text, StringComparison.Ordinal); // ordinal: a word joiner is a character here
                Assert.True(CountOf(string.Concat(texts), "](http") <= 1, "only Hookline's own link");
                if (card.TryGetProperty("actions", out var actions))
                    Assert.Equal("https://acme.awork.com/tasks/1?q=%28a%29&b=%3Cc%3E%7Cd%20e", actions[0].GetProperty("url").GetString());
            }
        }
    }

    [Fact]
    public void TheSchemaCheckRejectsACardThatIsNotAnAdaptiveCard()
    {
        var card = JsonDocument.Parse("""{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","colour":"red"}]}""").RootElement;
        Assert.NotEmpty(Problems(card)); // additionalProperties: the check can fail
        var good = JsonDocument.Parse("""{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","wrap":true}]}""").RootElement;
        Assert.Empty(Problems(good));
    }

    [Fact]
    public void ChatRenderersAskForNoStandardWebhooksHeadersAndNameTheirType()
    {
        Assert.False(new TeamsRenderer().Render(Delivery("teams", "task_added", SlackSamples.Payload("task_added", "en-GB"), "en-GB")).StandardWebhooksHeaders);
        Assert.False(new DiscordRenderer().Render(Delivery("discord", "task_added", SlackSamples.Payload("task_added", "en-GB"), "en-GB")).StandardWebhooksHeaders);
        Assert.Equal(("teams", "discord"), (new TeamsRenderer().ReceiverType, new DiscordRenderer().ReceiverType));
    }

    [Theory]
    [InlineData("{\"message\":\"You are being rate limited.\",\"retry_after\":1.5,\"global\":false}", 1500)]
    [InlineData("{\"retry_after\":0}", 0)]
    [InlineData("{\"retry_after\":\"soon\"}", null)]
    [InlineData("{\"retry_after\":-3}", null)]
    [InlineData("rate limited", null)]
    [InlineData("[]", null)]
    [InlineData(null, null)]
    public void DiscordsRetryAfterIsReadFromTheBody(string? body, int? milliseconds) =>
        Assert.Equal(milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null, new DiscordRenderer().RetryAfter(body));

    [Theory]
    [InlineData("discord", 404, "{\"message\": \"Unknown Webhook\", \"code\": 10015}", "Unknown Webhook")]
    [InlineData("discord", 401, "{\"message\": \"Invalid Webhook Token\", \"code\": 50027}", "Invalid Webhook Token")]
    [InlineData("teams", 404, "", "Teams answered 404")]
    [InlineData("teams", 410, "", "Teams answered 410")]
    public void GoneForGoodAnswersPause(string receiver, int status, string body, string said)
    {
        IDeliveryRenderer renderer = receiver == "teams" ? new TeamsRenderer() : new DiscordRenderer();
        Assert.Contains(said, renderer.PauseReason(status, body));
        Assert.Null(renderer.PauseReason(500, body));
        Assert.Null(renderer.PauseReason(429, body));
    }

    private static void AssertValid(string receiver, byte[] body)
    {
        var root = JsonDocument.Parse(body).RootElement;
        if (receiver == "teams")
        {
            Assert.Equal("message", root.GetProperty("type").GetString());
            var attachment = Assert.Single(root.GetProperty("attachments").EnumerateArray());
            Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
            var problems = Problems(attachment.GetProperty("content"));
            Assert.True(problems.Count == 0, string.Join("; ", problems));
            Assert.True(body.Length < 28_000, $"{body.Length} bytes: Teams takes cards up to about 28 KB");
            return;
        }
        // Discord's published limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
        Assert.True(!root.TryGetProperty("content", out var content) || content.GetString()!.Length <= 2000);
        var embeds = root.GetProperty("embeds");
        Assert.InRange(embeds.GetArrayLength(), 1, 10);
        var total = 0;
        foreach (var embed in embeds.EnumerateArray())
        {
            int Length(JsonElement e, string name, int max)
            {
                var n = e.TryGetProperty(name, out var v) ? v.GetString()!.Length : 0;
                Assert.True(n <= max, $"{name}: {n} characters, Discord allows {max}");
                return n;
            }
            total += Length(embed, "title", 256) + Length(embed, "description", 4096);
            if (embed.TryGetProperty("footer", out var footer)) total += Length(footer, "text", 2048);
            if (embed.TryGetProperty("author", out var author)) total += Length(author, "name", 256);
            if (embed.TryGetProperty("fields", out var fields))
            {
                Assert.True(fields.GetArrayLength() <= 25, "at most 25 fields");
                foreach (var field in fields.EnumerateArray()) total += Length(field, "name", 256) + Length(field, "value", 1024);
            }
        }
        Assert.True(total <= 6000, $"{total} characters in the embeds, Discord allows 6000");
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    private static ClaimedDelivery Delivery(string receiver, string eventType, string payload, string? language) =>
        new(1, "msg_x", Guid.Empty, eventType, payload, 1, 11, 1,
            new WebhookTarget(Guid.Empty, Guid.Empty, "https://chat.example/hook", receiver, language, "none", null, []));

    private static byte[] Render(string receiver, string eventType, string payload, string language)
    {
        IDeliveryRenderer renderer = receiver == "teams" ? new TeamsRenderer() : new DiscordRenderer();
        return renderer.Render(Delivery(receiver, eventType, payload, language)).Body;
    }

    private static string GoldenFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hookline.Tests.csproj"))) return Path.Combine(dir.FullName, "Chat", "golden");
        throw new InvalidOperationException($"No Hookline.Tests.csproj above {AppContext.BaseDirectory}.");
    }
}
