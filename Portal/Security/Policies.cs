namespace HaPortal.Security;

public static class Policies
{
    /// <summary>Admin or Operator: may change topologies and the running stack.</summary>
    public const string CanChange = "CanChange";

    /// <summary>Admin only: users and roles.</summary>
    public const string Admin = "Admin";
}
