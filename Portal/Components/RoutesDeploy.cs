namespace HaPortal.Components;

public static partial class Routes
{
    /// <summary>Every stored topology and what of it runs on the engine.</summary>
    public const string Deployments = "/deploy";

    /// <summary>Plan, apply with live progress, observed state and destroy of one topology.</summary>
    public static string Deploy(string name) => $"/topologies/{Uri.EscapeDataString(name)}/deploy";
}
