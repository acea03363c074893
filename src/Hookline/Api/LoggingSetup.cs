using System.ComponentModel.DataAnnotations;

namespace Hookline.Api;

public sealed class LoggingOptions
{
    public const string Section = "Hookline:Logging";

    /// <summary><c>text</c> for people (the default), <c>json</c> for log collectors: one JSON object per line.</summary>
    [RegularExpression("^(?i:text|json)$", ErrorMessage = "use 'text' (the default, for people) or 'json' (one JSON object per line).")]
    public string Format { get; set; } = "text";
}

public static class LoggingSetup
{
    /// <summary>The console log as <see cref="LoggingOptions.Format"/> says: .NET's JSON console formatter, times in UTC.</summary>
    public static WebApplicationBuilder AddHooklineLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LoggingOptions>().BindConfiguration(LoggingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (string.Equals(builder.Configuration[$"{LoggingOptions.Section}:Format"], "json", StringComparison.OrdinalIgnoreCase))
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        return builder;
    }
}
