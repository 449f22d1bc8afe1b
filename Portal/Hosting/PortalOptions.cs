namespace HaPortal.Hosting;

/// <summary>Settings of the admin portal (section "Portal"); every key has a default so a bare start works.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>Folder for the SQLite database and the Data Protection keys. Default ./data.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>Admin password to use on first start instead of a random one (env HAPORTAL_ADMIN_PASSWORD).</summary>
    public string? AdminPassword { get; set; }

    public string DatabasePath => Path.GetFullPath(Path.Combine(DataFolder, "haportal.db"));
}
