using System.Net;
using System.Net.Sockets;

namespace HaPortal.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback TCP port free at the time of asking.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
