namespace MoscowTime.Web.Pods;

/// <summary>This pod's committed count, the body of /visits; peers read it for the cluster view.</summary>
public sealed record PodVisits(string Pod, long Visits);
