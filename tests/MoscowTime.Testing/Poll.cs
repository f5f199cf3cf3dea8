namespace MoscowTime.Testing;

/// <summary>
/// Waits for a state the system reaches by itself. Every wait has a deadline and, when it gives up,
/// says what it waited for and what it saw last: on a loaded machine "slow" must read differently
/// from "never".
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <returns>The first value that satisfies <paramref name="done"/>.</returns>
    /// <exception cref="TimeoutException">Naming <paramref name="what"/> and the last value seen.</exception>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {what}; last seen: {value}");
            }

            await Task.Delay(Interval);
        }
    }

    public static Task<T> UntilAsync<T>(Func<T> probe, Func<T, bool> done, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(probe()), done, timeout, what);

    /// <param name="what">What is awaited; <paramref name="seen"/> adds what was there instead.</param>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? seen = null)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {what}" + (seen is null ? "" : $"; last seen: {seen()}"));
            }

            await Task.Delay(Interval);
        }
    }
}
