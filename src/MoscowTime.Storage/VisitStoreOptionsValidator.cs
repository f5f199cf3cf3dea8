using Microsoft.Extensions.Options;

namespace MoscowTime.Storage;

/// <summary>Fails start-up with one clear line when the settings cannot work.</summary>
public sealed class VisitStoreOptionsValidator : IValidateOptions<VisitStoreOptions>
{
    private const int MaxQueueCapacity = 1_000_000;
    private const int MaxBatchSize = 100_000;

    public ValidateOptionsResult Validate(string? name, VisitStoreOptions options)
    {
        var failures = new List<string>();
        if (options.QueueCapacity is < 1 or > MaxQueueCapacity)
        {
            failures.Add($"Visits:QueueCapacity must be between 1 and {MaxQueueCapacity}, not {options.QueueCapacity}");
        }

        if (options.MaxBatchSize is < 1 or > MaxBatchSize)
        {
            failures.Add($"Visits:MaxBatchSize must be between 1 and {MaxBatchSize}, not {options.MaxBatchSize}");
        }

        if (DirectoryProbe.ValidateFilePath($"{VisitStoreOptions.Section}:{nameof(VisitStoreOptions.DatabasePath)}", options.DatabasePath) is { } error)
        {
            failures.Add(error);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
