using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MoscowTime.Storage;

/// <summary>Configuration section <c>Visits</c>.</summary>
public sealed class VisitStoreOptions
{
    public const string Section = "Visits";

    /// <summary>The SQLite file; its directory is created at start. Container: <c>/data/visits.db</c>.</summary>
    [Required(ErrorMessage = "Visits:DatabasePath is required")]
    public string DatabasePath { get; set; } = "data/visits.db";

    /// <summary>Visits waiting for a commit before new ones are refused with 503 (back-pressure, not loss).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Visits:QueueCapacity must be between {1} and {2}")]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The most visits one transaction commits.</summary>
    [Range(1, 100_000, ErrorMessage = "Visits:MaxBatchSize must be between {1} and {2}")]
    public int MaxBatchSize { get; set; } = 4_096;
}

/// <summary>The attributes above, checked by code generated at build time: no reflection, so it works under Native AOT.</summary>
[OptionsValidator]
public sealed partial class VisitStoreOptionsAttributes : IValidateOptions<VisitStoreOptions>;
