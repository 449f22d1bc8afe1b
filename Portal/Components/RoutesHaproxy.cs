namespace HaPortal.Components;

public static partial class Routes
{
    /// <summary>Live view and runtime actions for the HAProxy named by the setting Haproxy:RuntimeEndpoint.</summary>
    public const string Backends = "/backends";
}
