using System.Collections.Concurrent;
using System.Globalization;
using System.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MoscowTime.Testing;

/// <summary>One AssumeRoleWithWebIdentity call as the stand-in received it.</summary>
public sealed record WebIdentityRequest(string? Action, string? RoleArn, string? RoleSessionName, string? WebIdentityToken);

/// <summary>
/// AWS STS on 127.0.0.1 for web identity (EKS IRSA): answers AssumeRoleWithWebIdentity with temporary keys valid for
/// <see cref="Lifetime"/> and records each call. The keys use the access key s3rver accepts; the session token is new per
/// stand-in, so a request that carries it can only have got it from here.
/// </summary>
public sealed class StsStandIn : IAsyncDisposable
{
    /// <summary>What EKS' STS grants by default.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentQueue<WebIdentityRequest> _requests = new();

    private StsStandIn(LoopbackApp app) => App = app;

    public LoopbackApp App { get; }
    public string Endpoint => App.BaseAddress.ToString().TrimEnd('/');
    public const string AccessKeyId = S3Server.AccessKey;
    public string SecretAccessKey { get; } = "sts-secret-" + Guid.NewGuid().ToString("N");
    public string SessionToken { get; } = "sts-session-" + Guid.NewGuid().ToString("N");
    public IReadOnlyList<WebIdentityRequest> Requests => [.. _requests];

    public static async Task<StsStandIn> StartAsync()
    {
        StsStandIn? sts = null;
        var app = await LoopbackApp.StartAsync(args =>
        {
            var web = WebApplication.CreateSlimBuilder(args).Build();
            web.MapPost("/", (HttpContext context) => sts!.AnswerAsync(context));
            return web;
        });
        sts = new StsStandIn(app);
        return sts;
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    private async Task AnswerAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var request = new WebIdentityRequest(form["Action"], form["RoleArn"], form["RoleSessionName"], form["WebIdentityToken"]);
        _requests.Enqueue(request);
        context.Response.ContentType = "text/xml";
        if (request.Action != "AssumeRoleWithWebIdentity")
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(
                $"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>{SecurityElement.Escape(request.Action)}</Message></Error></ErrorResponse>");
            return;
        }

        var expiration = DateTimeOffset.UtcNow.Add(Lifetime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await context.Response.WriteAsync($"""
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <SubjectFromWebIdentityToken>system:serviceaccount:default:moscow-time</SubjectFromWebIdentityToken>
                <Audience>sts.amazonaws.com</Audience>
                <AssumedRoleUser>
                  <Arn>{SecurityElement.Escape(request.RoleArn)}/{SecurityElement.Escape(request.RoleSessionName)}</Arn>
                  <AssumedRoleId>AROAEXAMPLE:{SecurityElement.Escape(request.RoleSessionName)}</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>{AccessKeyId}</AccessKeyId>
                  <SecretAccessKey>{SecretAccessKey}</SecretAccessKey>
                  <SessionToken>{SessionToken}</SessionToken>
                  <Expiration>{expiration}</Expiration>
                </Credentials>
                <Provider>oidc.eks.example</Provider>
              </AssumeRoleWithWebIdentityResult>
              <ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata>
            </AssumeRoleWithWebIdentityResponse>
            """);
    }
}
