using HaPortal.Core.Blog;

namespace HaPortal.WebNode;

/// <summary>
/// What the provenance panel shows: the web node that rendered the page, the database server that answered its
/// reads (null when the page read nothing), and the visitor's last write.
/// </summary>
public sealed record PageProvenance(string NodeName, string NodeAddress, DbServer? ReadFrom, WriteReceipt? LastWrite)
{
    /// <summary>Whether this page's own read already contains the last write; null when the page cannot tell.</summary>
    public bool? LastWriteVisibleHere { get; init; }
}
