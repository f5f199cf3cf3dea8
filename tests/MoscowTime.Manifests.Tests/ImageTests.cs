using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class ImageTests
{
    [Theory, BothOverlays]
    public void Images_are_set_by_the_images_transformer(string overlay)
    {
        var transforms = ImageTransforms();

        Assert.All(Kustomize.Render(overlay).AllContainers, container =>
        {
            var name = container.Image.Split(':')[0];
            var transform = transforms.SingleOrDefault(t => t.NewName == name || (t.NewName is null && t.Name == name));
            Assert.True(transform is not null, $"{container.Name}: image {container.Image} is not set by `images:`");
            Assert.Equal($"{transform.NewName ?? transform.Name}:{transform.NewTag}", container.Image);
        });
    }

    [Theory, BothOverlays]
    public void No_image_is_latest_or_untagged(string overlay)
    {
        Assert.All(Kustomize.Render(overlay).AllContainers, container =>
        {
            var tag = container.Image.Contains(':', StringComparison.Ordinal) ? container.Image[(container.Image.LastIndexOf(':') + 1)..] : "";
            Assert.False(tag is "" or "latest", $"{container.Name}: {container.Image}");
        });
    }

    [Theory, BothOverlays]
    public void Web_runs_the_web_image_and_backup_and_restore_the_sidecar_image(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.StartsWith("moscow-time-web:", rendered.Container("web").Image, StringComparison.Ordinal);
        Assert.StartsWith("moscow-time-sidecar:", rendered.Container("backup").Image, StringComparison.Ordinal);
        Assert.StartsWith("moscow-time-sidecar:", rendered.Container("restore").Image, StringComparison.Ordinal);
    }

    private sealed record ImageTransform(string Name, string? NewName, string? NewTag);

    private static List<ImageTransform> ImageTransforms()
    {
        var images = (List<object>)KustomizationTests.ReadKustomization(Path.Combine("base", "kustomization.yaml"))["images"];
        return images.Cast<Dictionary<object, object>>()
            .Select(entry => new ImageTransform(
                (string)entry["name"],
                entry.TryGetValue("newName", out var newName) ? (string)newName : null,
                entry.TryGetValue("newTag", out var newTag) ? (string)newTag : null))
            .ToList();
    }
}
