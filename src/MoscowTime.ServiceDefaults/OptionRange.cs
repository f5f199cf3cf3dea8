namespace MoscowTime.ServiceDefaults;

/// <summary>Range checks written out, not read from attributes by reflection: the same under Native AOT, and the message names the configuration key.</summary>
public static class OptionRange
{
    public static void Check<T>(List<string> failures, string key, T value, T minimum, T maximum) where T : IComparable<T>
    {
        if (value.CompareTo(minimum) < 0 || value.CompareTo(maximum) > 0)
        {
            failures.Add($"{key} must be between {minimum} and {maximum}, not {value}");
        }
    }
}
