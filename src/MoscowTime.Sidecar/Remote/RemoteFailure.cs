using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Polly.Timeout;

namespace MoscowTime.Sidecar.Remote;

/// <summary>The store holds something other than the file just uploaded: never counted as a backup.</summary>
public sealed class RemoteMismatchException(string message) : Exception(message);

/// <summary>One line an operator can act on, for /healthz, the log and restore's exit. Built from status codes and the service's error code and message only: no header, no signature, no credential.</summary>
public static class RemoteFailure
{
    public static string Describe(Exception? exception, RemoteOptions options, RemoteLocation location)
    {
        var store = string.IsNullOrWhiteSpace(options.Endpoint) ? $"AWS S3 ({options.Region})" : options.Endpoint;
        return exception switch
        {
            null => "unknown error",
            RemoteMismatchException or Backups.BackupFailedException => exception.Message,
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } =>
                $"bucket '{location.Bucket}' does not exist at {store} (NoSuchBucket): create it or correct Backup:Remote:Url",
            AmazonServiceException { StatusCode: HttpStatusCode.Forbidden } denied =>
                $"{store} denied access to {location} (403 {denied.ErrorCode}: {denied.Message}): check the credentials in Secret moscow-time-backup-remote or the pod's IAM role",
            AmazonServiceException { ErrorCode: "SlowDown" } or AmazonServiceException { StatusCode: HttpStatusCode.ServiceUnavailable } =>
                $"{store} is overloaded and asks to slow down (503 {((AmazonServiceException)exception).ErrorCode})",
            AmazonServiceException { StatusCode: not 0 } service =>
                $"{store} answered {(int)service.StatusCode} {service.ErrorCode}: {service.Message}",
            TimeoutRejectedException or OperationCanceledException or TimeoutException =>
                $"{store} did not answer within Backup:Remote:AttemptTimeout ({options.AttemptTimeout})",
            HttpRequestException or System.Net.Sockets.SocketException or IOException
                or AmazonClientException { InnerException: HttpRequestException or System.Net.Sockets.SocketException or IOException } =>
                $"{store} cannot be reached: {exception.GetBaseException().Message}",
            AmazonClientException client => $"the AWS SDK cannot call {store}: {FirstSentence(client.Message)}",
            _ => $"{store}: {exception.GetType().Name}: {FirstSentence(exception.Message)}",
        };
    }

    /// <summary>
    /// What passes by itself: the store unreachable for a moment, a timeout, 5xx, 503 SlowDown, 429.
    /// A 403 or a missing bucket waits for a person, and so does an object the store keeps different.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "Throttling" or "ThrottlingException" } => true,
        AmazonServiceException { StatusCode: not 0 } => false,
        HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutRejectedException or TimeoutException => true,
        // HttpClient's own timeout; a cancellation the caller asked for is never retried (Retries).
        OperationCanceledException => true,
        AmazonClientException or AmazonServiceException when exception.InnerException is { } inner => IsTransient(inner),
        _ => false,
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
