using System.Text.Json;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests;

/// <summary>
/// EKS IRSA as the published native sidecar meets it: no static keys, a projected token file and a role, keys from STS
/// (a stand-in on 127.0.0.1), and the store reached through a recording hop that sees what each request was signed with.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class WebIdentityTests : IAsyncLifetime, IDisposable
{
    private const string Prefix = "site";
    private const string RoleArn = "arn:aws:iam::123456789012:role/moscow-time";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new("web-identity");
    private readonly string _token = "eyJ.web-identity-token." + Guid.NewGuid().ToString("N");
    private S3Server _store = null!;
    private S3FaultProxy _hop = null!;
    private StsStandIn _sts = null!;

    public async Task InitializeAsync()
    {
        _store = await S3Server.StartAsync(_dir.File("s3"));
        _hop = await S3FaultProxy.StartAsync(_store.Endpoint);
        _sts = await StsStandIn.StartAsync();
    }

    [Fact]
    public async Task With_only_a_web_identity_token_the_native_sidecar_takes_keys_from_sts_and_ships_signed_with_them()
    {
        var tokenFile = _dir.File("token");
        await File.WriteAllTextAsync(tokenFile, _token);
        var database = _dir.File("visits.db");
        await using var web = await Apps.StartWebAsync(database);
        await using var sidecar = await Apps.StartSidecarAsync(database, _dir.File("backups"), WebIdentityEnvironment(tokenFile),
        [
            $"--Backup:Remote:Url=s3://{S3Server.Bucket}/{Prefix}",
            $"--Backup:Remote:Endpoint={_hop.Endpoint}",
            $"--Backup:Remote:PodName={Apps.PodName}",
            "--Backup:Remote:AttemptTimeout=00:00:05",
            "--Backup:Remote:RetryDelay=00:00:00.050",
        ]);

        await UntilChainConfirmedAsync(sidecar);

        Assert.NotEmpty(_sts.Requests);
        Assert.All(_sts.Requests, call => Assert.Equal(new WebIdentityRequest("AssumeRoleWithWebIdentity", RoleArn, Apps.PodName, _token), call));
        var puts = _hop.PutHeaders;
        Assert.NotEmpty(puts);
        Assert.All(puts, headers =>
        {
            Assert.Contains($"Credential={StsStandIn.AccessKeyId}/", headers.GetValueOrDefault("authorization"), StringComparison.Ordinal);
            Assert.Equal(_sts.SessionToken, headers.GetValueOrDefault("x-amz-security-token"));
        });
        Assert.NotEmpty(_store.Keys($"{Prefix}/{Apps.PodName}/"));
    }

    public async Task DisposeAsync()
    {
        await _sts.DisposeAsync();
        await _hop.DisposeAsync();
        await _store.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// What the EKS pod identity webhook injects, and nothing else the SDK's default chain would take first or fall back
    /// to: no static keys, no profile files, no container or instance metadata (which would leave 127.0.0.1).
    /// </summary>
    private Dictionary<string, string> WebIdentityEnvironment(string tokenFile) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = "",
        ["AWS_SECRET_ACCESS_KEY"] = "",
        ["AWS_SESSION_TOKEN"] = "",
        ["AWS_SHARED_CREDENTIALS_FILE"] = _dir.File("no-credentials"),
        ["AWS_CONFIG_FILE"] = _dir.File("no-config"),
        ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "",
        ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
        ["AWS_ROLE_ARN"] = RoleArn,
        ["AWS_ROLE_SESSION_NAME"] = Apps.PodName,
        ["AWS_REGION"] = "eu-west-1",
        ["AWS_ENDPOINT_URL_STS"] = _sts.Endpoint,
    };

    /// <summary>The chain's snapshot is confirmed in the store (/healthz remoteChain); on time-out, says what the sidecar logged.</summary>
    private async Task UntilChainConfirmedAsync(ChildProcess sidecar)
    {
        using var probe = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = Patience };
        try
        {
            await Poll.UntilAsync(async () =>
            {
                using var response = await probe.GetAsync("/healthz");
                var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return (Chain: health.GetProperty("remoteChain").GetString(), Error: health.GetProperty("remoteLastError").GetString());
            }, seen => seen.Chain is not null, Patience, "the chain's snapshot confirmed in the store (remoteChain) with keys from web identity");
        }

        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}\nSTS calls: {_sts.Requests.Count}; store requests: {string.Join(", ", _hop.Log)}\n{sidecar.Output}", timeout);
        }
    }
}
