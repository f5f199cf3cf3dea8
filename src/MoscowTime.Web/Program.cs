using MoscowTime.Hosting;
using MoscowTime.Web.Hosting;

return await StartupGuard.RunAsync("moscow-time-web", () => WebApp.Build(args));
