using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using MoscowTime.Web.Apis;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pods;

namespace MoscowTime.Web.Hosting;

/// <summary>
/// Every body the web app writes or reads as JSON, serialized by code generated at build time: Native AOT
/// has no reflection-based serializer. Web defaults (camelCase), as the endpoints always answered.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PodVisits))]
[JsonSerializable(typeof(ClusterVisits))]
[JsonSerializable(typeof(TimeReading))]
[JsonSerializable(typeof(ProblemDetails))] // the 503 of GET / while the database cannot commit
public sealed partial class WebJson : JsonSerializerContext;
