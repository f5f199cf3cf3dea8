using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

/// <summary>Starts the real web app on 127.0.0.1 with its database in a temp directory.</summary>
public static partial class WebAppHost
{
    public static Task<LoopbackApp> StartAsync(string databasePath, Action<IServiceCollection>? services = null, params string[] args) =>
        LoopbackApp.StartAsync(
            a => WebApp.Build(a, builder => services?.Invoke(builder.Services)),
            [$"--Visits:DatabasePath={databasePath}", "--POD_NAME=moscow-time-test", "--Logging:LogLevel:Default=Warning", .. args]);

    /// <summary>The count the page shows for its own visit.</summary>
    public static long VisitsShown(string html)
    {
        var match = VisitsElement().Match(html);
        Assert.True(match.Success, "the page shows no visit count");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""<dd id="visits">(\d+)</dd>""")]
    private static partial Regex VisitsElement();
}
