using System.Net;
using MoscowTime.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MoscowTime.EndToEnd.Tests;

/// <summary>The operators' tools the images carry, run as `kubectl exec` would run them.</summary>
[Collection(PodmanTests.Name)]
public sealed class ImageToolTests(ContainerImages images, ITestOutputHelper output)
{
    /// <summary>The name the lab checks: `kubectl exec moscow-time-0 -- nslookup …`.</summary>
    private const string PodDnsName = "moscow-time-0.moscow-time.default.svc.cluster.local";

    /// <summary>The answer the stand-in cluster DNS gives: the container's own slirp4netns address.</summary>
    private static readonly IPAddress PodAddress = IPAddress.Parse("10.0.2.100");

    [Theory]
    [InlineData(ContainerImages.Web)]
    [InlineData(ContainerImages.Sidecar)]
    public async Task Nslookup_resolves_a_pods_headless_service_name_through_the_pods_resolver(string image)
    {
        using var dns = new HeadlessServiceDns(PodDnsName, PodAddress);

        // The container's resolv.conf names the stand-in, as a pod's names CoreDNS: the command is verbatim.
        var result = await images.Podman.RunAsync(
        [
            "run", "--rm", "--network", "slirp4netns:allow_host_loopback=true", "--dns", HeadlessServiceDns.AddressInContainer,
            "--entrypoint", "nslookup", image, PodDnsName,
        ]);
        output.WriteLine($"{image}: nslookup {PodDnsName} → {result.ExitCode}\n{result.StandardOutput}{result.StandardError}");

        Assert.True(result.Succeeded, $"nslookup exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        Assert.Matches($@"Name:\s+{PodDnsName.Replace(".", @"\.", StringComparison.Ordinal)}\s+Address:\s+{PodAddress}\b", result.StandardOutput);
    }
}
