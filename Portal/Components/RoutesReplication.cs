namespace HaPortal.Components;

public static partial class Routes
{
    public static string Replication(string name) => $"/topologies/{Uri.EscapeDataString(name)}/replication";
}
