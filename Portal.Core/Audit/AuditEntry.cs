namespace HaPortal.Core.Audit;

/// <summary>One change made through the portal, by anyone, through any door (form, API, command line).</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string User { get; set; }

    /// <summary>A dotted verb such as <c>topology.save</c> or <c>user.create</c>.</summary>
    public required string Action { get; set; }

    /// <summary>What was changed: a topology name, a user name, a node.</summary>
    public required string Target { get; set; }

    public string? Before { get; set; }
    public string? After { get; set; }
    public string Summary { get; set; } = "";
}
