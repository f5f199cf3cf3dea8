namespace MoscowTime.Web.Pods;

/// <summary>The serving pod's name: POD_NAME from the downward API, else the machine name.</summary>
public sealed record PodIdentity(string Name)
{
    public static PodIdentity From(IConfiguration configuration) =>
        new(configuration["POD_NAME"] is { Length: > 0 } name ? name : Environment.MachineName);
}
