using k8s.Models;
using MoscowTime.Manifests.Tests.Rendering;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Manifests.Tests;

/// <summary>
/// kustomize/components/remote-backup as a site overlay adds it: rendered with the real `kubectl
/// kustomize` from a copy of kustomize/ with docs/operations.md's two sites (MinIO, AWS S3 with IRSA) beside it.
/// </summary>
public sealed class RemoteBackupComponentTests : IDisposable
{
    public const string MinioSite = """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ../../overlays/ordered
        components:
          - ../../components/remote-backup
        patches:
          - patch: |-
              apiVersion: v1
              kind: ConfigMap
              metadata:
                name: moscow-time-backup-remote
              data:
                Backup__Remote__Url: s3://moscow-time/prod
                Backup__Remote__Endpoint: http://minio.minio.svc.cluster.local:9000
                AWS_REGION: us-east-1
          - target:
              group: networking.k8s.io
              version: v1
              kind: NetworkPolicy
              name: moscow-time
            patch: |-
              - op: replace
                path: /spec/egress/2/ports/0/port
                value: 9000
        """;

    public const string AwsSite = """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ../../overlays/parallel
        components:
          - ../../components/remote-backup
        patches:
          - patch: |-
              apiVersion: v1
              kind: ConfigMap
              metadata:
                name: moscow-time-backup-remote
              data:
                Backup__Remote__Url: s3://example-moscow-time-backups/prod
                AWS_REGION: eu-central-1
        """;

    private readonly TempDirectory _copy = new("remote-component");
    private readonly RenderedManifests _minio;
    private readonly RenderedManifests _aws;
    private readonly RenderedManifests _plain = Kustomize.Render(Kustomize.Ordered);

    public RemoteBackupComponentTests()
    {
        Repository.CopyKustomizeTo(_copy.Path);
        _minio = RenderSite("minio", MinioSite);
        _aws = RenderSite("aws", AwsSite);
    }

    [Fact]
    public void The_component_is_a_kustomize_Component()
    {
        var text = File.ReadAllText(Path.Combine(Repository.Kustomize, "components", "remote-backup", "kustomization.yaml"));

        Assert.Contains("kind: Component", text, StringComparison.Ordinal);
        Assert.Contains("apiVersion: kustomize.config.k8s.io/v1alpha1", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("restore")]
    [InlineData("backup")]
    public void Backup_and_restore_get_the_settings_the_secret_and_their_pod_name(string container)
    {
        foreach (var site in new[] { _minio, _aws })
        {
            var spec = site.Container(container);
            var sources = spec.EnvFrom;

            Assert.Contains(sources, s => s.ConfigMapRef?.Name?.StartsWith("moscow-time-backup-remote-", StringComparison.Ordinal) == true);
            Assert.Contains(sources, s => s.ConfigMapRef?.Name?.StartsWith("moscow-time-backup-", StringComparison.Ordinal) == true
                && !s.ConfigMapRef.Name.Contains("remote", StringComparison.Ordinal));
            var secret = Assert.Single(sources, s => s.SecretRef is not null).SecretRef;
            Assert.Equal("moscow-time-backup-remote", secret.Name);
            Assert.True(secret.Optional, "IRSA and Pod Identity sites have no Secret");
            var podName = Assert.Single(spec.Env, e => e.Name == "POD_NAME");
            Assert.Equal("metadata.name", podName.ValueFrom.FieldRef.FieldPath);
        }
    }

    [Fact]
    public void The_sites_settings_reach_both_containers_and_pass_the_sidecars_own_validation()
    {
        foreach (var (site, endpoint) in new[] { (_minio, "http://minio.minio.svc.cluster.local:9000"), (_aws, "") })
        {
            var settings = RemoteSettings(site);
            Assert.Equal(endpoint, settings.GetValueOrDefault("Backup__Remote__Endpoint", ""));
            var options = new RemoteOptions
            {
                Url = settings["Backup__Remote__Url"],
                Endpoint = settings.GetValueOrDefault("Backup__Remote__Endpoint"),
                Region = settings["AWS_REGION"],
                SyncInterval = TimeSpan.Parse(settings["Backup__Remote__SyncInterval"], System.Globalization.CultureInfo.InvariantCulture),
                Window = TimeSpan.Parse(settings["Backup__Remote__Window"], System.Globalization.CultureInfo.InvariantCulture),
                PodName = "moscow-time-0",
            };
            var result = new RemoteOptionsValidator().Validate(null, options);
            Assert.True(result.Succeeded, result.FailureMessage);
            Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)), (options.SyncInterval, options.Window));
            Assert.DoesNotContain(settings.Keys, key => key.Contains("SECRET", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Egress_opens_the_stores_port_and_nothing_else()
    {
        Assert.Equal(["9000"], AddedEgressPorts(_minio));
        Assert.Equal(["443"], AddedEgressPorts(_aws));
    }

    [Fact]
    public void Without_the_component_nothing_remote_is_rendered()
    {
        Assert.DoesNotContain("moscow-time-backup-remote", _plain.Yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("Backup__Remote__", _plain.Yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("restore")]
    [InlineData("backup")]
    public void Backup_and_restore_keep_their_limits_the_native_sdk_fits_in_them(string container)
    {
        var limits = _minio.Container(container).Resources.Limits;
        var plain = _plain.Container(container).Resources.Limits;

        // Measured with the remote on (bench/aot.sh): the limits already hold the AWS SDK.
        Assert.Equal(plain["memory"], limits["memory"]);
        Assert.Equal(plain["cpu"], limits["cpu"]);
        Assert.Equal(plain["ephemeral-storage"], limits["ephemeral-storage"]);
    }

    [Fact]
    public void The_web_container_gets_no_credentials()
    {
        Assert.DoesNotContain(_minio.Container("web").EnvFrom ?? [], s => s.SecretRef is not null);
    }

    public void Dispose() => _copy.Dispose();

    private RenderedManifests RenderSite(string name, string kustomization)
    {
        var site = Path.Combine(_copy.File("kustomize"), "sites", name);
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "kustomization.yaml"), kustomization);
        return Kustomize.Render(site);
    }

    private static Dictionary<string, string> RemoteSettings(RenderedManifests site) =>
        new(site.ConfigMaps.Single(m => m.Metadata.Name.StartsWith("moscow-time-backup-remote-", StringComparison.Ordinal)).Data);

    /// <summary>The egress ports beyond what the plain overlay opens.</summary>
    private List<string> AddedEgressPorts(RenderedManifests site)
    {
        static IEnumerable<string> Ports(V1NetworkPolicy policy) =>
            policy.Spec.Egress.SelectMany(rule => rule.Ports ?? []).Select(port => port.Port.Value);
        var before = Ports(_plain.NetworkPolicy).ToList();
        Assert.Equal(_plain.NetworkPolicy.Spec.Egress.Count + 1, site.NetworkPolicy.Spec.Egress.Count);
        var added = site.NetworkPolicy.Spec.Egress[^1];
        Assert.True(added.To is null or { Count: 0 }, "the store's addresses vary; the port is the limit");
        Assert.All(added.Ports, port => Assert.Equal("TCP", port.Protocol));
        return [.. Ports(site.NetworkPolicy).Except(before)];
    }
}
