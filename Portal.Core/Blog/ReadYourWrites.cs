namespace HaPortal.Core.Blog;

/// <summary>
/// Read-your-writes for the demo app's sessions: for <see cref="Window"/> after a visitor's last write, that visitor's
/// reads prefer the primary, so they see their own comment at once instead of a replica that has not caught up.
/// Settings key Blog:ReadYourWritesSeconds (env Blog__ReadYourWritesSeconds), from the topology's web.readYourWritesSeconds; 0 = off.
/// </summary>
public sealed class ReadYourWrites(TimeProvider time, TimeSpan window)
{
    public const string SettingKey = "Blog:ReadYourWritesSeconds";

    public TimeSpan Window { get; } = window < TimeSpan.Zero ? TimeSpan.Zero : window;

    /// <summary>Primary while the last write is younger than the window; Any otherwise, or with no write.</summary>
    public ReadPreference For(DateTimeOffset? lastWriteAt) =>
        lastWriteAt is { } at && time.GetUtcNow() - at < Window ? ReadPreference.Primary : ReadPreference.Any;
}
