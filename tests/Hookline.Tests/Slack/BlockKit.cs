using System.Text.Json;

namespace Hookline.Tests.Slack;

/// <summary>Slack's rules for an incoming-webhook message in Block Kit (api.slack.com/reference/block-kit), as far as Hookline uses it.</summary>
public static class BlockKit
{
    public const int MaxText = 3000, MaxHeader = 150, MaxBlocks = 50, MaxContextElements = 10;

    public static void AssertValid(byte[] body)
    {
        var root = SlackSamples.Json(body);
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(["blocks", "text"], root.EnumerateObject().Select(p => p.Name).Order());
        var text = root.GetProperty("text");
        Assert.Equal(JsonValueKind.String, text.ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(text.GetString()), "The fallback text is empty.");
        Assert.InRange(text.GetString()!.Length, 1, MaxText);

        var blocks = root.GetProperty("blocks");
        Assert.Equal(JsonValueKind.Array, blocks.ValueKind);
        Assert.InRange(blocks.GetArrayLength(), 1, MaxBlocks);
        foreach (var block in blocks.EnumerateArray())
        {
            Assert.Equal(JsonValueKind.Object, block.ValueKind);
            switch (block.GetProperty("type").GetString())
            {
                case "section":
                    Keys(block, "type", "text", "block_id");
                    TextObject(block.GetProperty("text"), MaxText, "mrkdwn", "plain_text");
                    break;
                case "context":
                    Keys(block, "type", "elements", "block_id");
                    var elements = block.GetProperty("elements");
                    Assert.InRange(elements.GetArrayLength(), 1, MaxContextElements);
                    foreach (var element in elements.EnumerateArray()) TextObject(element, MaxText, "mrkdwn", "plain_text");
                    break;
                case "header":
                    Keys(block, "type", "text", "block_id");
                    TextObject(block.GetProperty("text"), MaxHeader, "plain_text");
                    break;
                case "divider":
                    Keys(block, "type", "block_id");
                    break;
                case var other:
                    Assert.Fail($"'{other}' is not a block type Hookline may send.");
                    break;
            }
        }
    }

    private static void TextObject(JsonElement o, int max, params string[] types)
    {
        var type = o.GetProperty("type").GetString();
        Assert.Contains(type, types);
        Keys(o, type == "mrkdwn" ? ["type", "text", "verbatim"] : ["type", "text", "emoji"]);
        foreach (var flag in new[] { "verbatim", "emoji" })
            if (o.TryGetProperty(flag, out var v)) Assert.True(v.ValueKind is JsonValueKind.True or JsonValueKind.False);
        var text = o.GetProperty("text");
        Assert.Equal(JsonValueKind.String, text.ValueKind);
        Assert.InRange(text.GetString()!.Length, 1, max);
        Assert.False(string.IsNullOrWhiteSpace(text.GetString()));
    }

    private static void Keys(JsonElement o, params string[] allowed)
    {
        foreach (var p in o.EnumerateObject()) Assert.Contains(p.Name, allowed);
    }

    /// <summary>Every text a person sees: the fallback, each section, each context element.</summary>
    public static List<string> Texts(byte[] body)
    {
        var root = SlackSamples.Json(body);
        var texts = new List<string> { root.GetProperty("text").GetString()! };
        foreach (var block in root.GetProperty("blocks").EnumerateArray())
        {
            if (block.TryGetProperty("text", out var t)) texts.Add(t.GetProperty("text").GetString()!);
            if (block.TryGetProperty("elements", out var elements))
                texts.AddRange(elements.EnumerateArray().Select(e => e.GetProperty("text").GetString()!));
        }
        return texts;
    }
}
