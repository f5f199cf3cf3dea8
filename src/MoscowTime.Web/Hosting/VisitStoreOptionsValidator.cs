using MoscowTime.ServiceDefaults;
using MoscowTime.Storage;

namespace MoscowTime.Web.Hosting;

/// <summary>Fails start-up with one line per mistake, each naming its key.</summary>
public sealed class VisitStoreOptionsValidator : IValidateOptions<VisitStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, VisitStoreOptions options)
    {
        var failures = new List<string>();
        OptionRange.Check(failures, "Visits:QueueCapacity", options.QueueCapacity, 1, 1_000_000);
        OptionRange.Check(failures, "Visits:MaxBatchSize", options.MaxBatchSize, 1, 100_000);
        if (DirectoryProbe.ValidateFilePath("Visits:DatabasePath", options.DatabasePath) is { } error)
        {
            failures.Add(error);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
