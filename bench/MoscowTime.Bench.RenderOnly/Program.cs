using MoscowTime.Hosting;
using MoscowTime.Web.Apis;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Hosting;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Time;

// The shipped app's services, middleware and other endpoints; only GET / differs: it numbers visits
// in memory instead of committing them, so bench/run.sh can tell the commit's cost from the rest.
var app = WebApp.CreateBuilder(args).Build();
var visits = 0L;
app.MapGet("/", (MoscowClock clock, HomePage page, ClusterView cluster, VisitHistory history) =>
{
    var number = Interlocked.Increment(ref visits);
    return new HomePageResult(page, clock.Now(), number, cluster.LastReported, history.Last24Hours(number));
});
app.MapVisitsApi();
app.MapClusterApi();
app.MapTimeApi();
app.MapHealthApi();
app.MapMoscowTimeMetrics();
await app.RunAsync();
