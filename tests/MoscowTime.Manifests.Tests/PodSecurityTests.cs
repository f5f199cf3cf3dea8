using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class PodSecurityTests
{
    /// <summary>The images' non-root `app` user, which owns /data in them.</summary>
    private const long AppUser = 1654;

    [Theory, BothOverlays]
    public void Pod_runs_as_the_images_app_user_and_never_as_root(string overlay)
    {
        var context = Kustomize.Render(overlay).Pod.SecurityContext;

        Assert.True(context.RunAsNonRoot);
        Assert.Equal(AppUser, context.RunAsUser);
        Assert.Equal(AppUser, context.RunAsGroup);
        // fsGroup gives the claim to the app user; OnRootMismatch skips the recursive chown on every start.
        Assert.Equal(AppUser, context.FsGroup);
        Assert.Equal("OnRootMismatch", context.FsGroupChangePolicy);
        Assert.Equal("RuntimeDefault", context.SeccompProfile.Type);
    }

    [Theory, BothOverlays]
    public void Every_container_is_locked_down(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.AllContainers, container =>
        {
            var context = container.SecurityContext;
            Assert.False(context.AllowPrivilegeEscalation ?? true, container.Name);
            Assert.False(context.Privileged ?? true, container.Name);
            Assert.True(context.ReadOnlyRootFilesystem, container.Name);
            Assert.Equal(["ALL"], context.Capabilities.Drop);
            Assert.Empty(context.Capabilities.Add ?? []);
            // Nothing here may undo the pod-level user: root (0) or another user.
            Assert.True(context.RunAsUser is null or AppUser, container.Name);
            Assert.NotEqual(false, context.RunAsNonRoot);
        });
    }

    [Theory, BothOverlays]
    public void Read_only_root_has_a_writable_tmp_in_every_container(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.AllContainers, container =>
        {
            var tmp = Assert.Single(container.VolumeMounts, m => m.MountPath == "/tmp");
            var volume = Assert.Single(rendered.Pod.Volumes, v => v.Name == tmp.Name);
            Assert.NotNull(volume.EmptyDir);
            Assert.NotNull(volume.EmptyDir.SizeLimit);
        });
    }

    [Theory, BothOverlays]
    public void Pod_gets_no_api_token_and_nothing_from_the_host(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var pod = rendered.Pod;

        Assert.False(pod.AutomountServiceAccountToken ?? true);
        Assert.NotEqual(true, pod.HostNetwork);
        Assert.NotEqual(true, pod.HostPID);
        Assert.NotEqual(true, pod.HostIPC);
        Assert.All(pod.Volumes, volume => Assert.Null(volume.HostPath));
        Assert.All(rendered.AllPorts, port => Assert.Null(port.HostPort));
    }
}
