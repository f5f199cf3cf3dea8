namespace MoscowTime.Faults.Tests.Processes;

/// <summary>Waits for a condition an app reaches by itself, bounded in time.</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <returns>The last value seen, which satisfies <paramref name="done"/>.</returns>
    /// <exception cref="TimeoutException">Naming <paramref name="what"/> and the last value seen.</exception>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {timeout}; last seen: {value}");
            }

            await Task.Delay(Interval);
        }
    }
}
