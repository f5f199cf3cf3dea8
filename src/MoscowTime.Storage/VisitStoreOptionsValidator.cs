using Microsoft.Extensions.Options;

namespace MoscowTime.Storage;

/// <summary>Fails start-up with one clear line when the database path cannot work.</summary>
public sealed class VisitStoreOptionsValidator : IValidateOptions<VisitStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, VisitStoreOptions options) =>
        DirectoryProbe.ValidateFilePath($"{VisitStoreOptions.Section}:{nameof(VisitStoreOptions.DatabasePath)}", options.DatabasePath) is { } error
            ? ValidateOptionsResult.Fail(error)
            : ValidateOptionsResult.Success;
}
