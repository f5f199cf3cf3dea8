using MoscowTime.Hosting;
using MoscowTime.Sidecar.Hosting;
using MoscowTime.Sidecar.Restore;

if (args is [RestoreCommand.Verb, .. var rest])
{
    return await StartupGuard.RunAsync(RestoreCommand.Name, () => RestoreCommand.RunAsync(rest));
}

return await StartupGuard.RunAsync("moscow-time-backup", () => SidecarApp.Build(args));
