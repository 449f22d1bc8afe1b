namespace HaPortal.WebNode;

internal static partial class WebNodeLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Web node {Node} serving the demo site; blog schema '{Schema}'")]
    public static partial void Starting(ILogger logger, string node, string schema);

    [LoggerMessage(Level = LogLevel.Information, Message = "Blog schema ready (seed posts added: {Seeded})")]
    public static partial void SchemaReady(ILogger logger, bool seeded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blog schema not created yet ({Reason}); retrying in {DelaySeconds} s")]
    public static partial void SchemaRetry(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable for {Path}: {Reason}")]
    public static partial void Unavailable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check failed: {Reason}")]
    public static partial void HealthFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Id} {Summary}")]
    public static partial void Wrote(ILogger logger, string kind, long id, string summary);
}
