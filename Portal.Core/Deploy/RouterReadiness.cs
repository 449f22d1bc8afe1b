using HaPortal.Core.ProxySql;
using HaPortal.Core.Rendering;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Readiness of the router tier. A ProxySQL node is ready when its admin interface answers the portal's admin user and
/// its runtime tables hold what the topology asks (<see cref="RouterConfiguration"/>). The admin interface is reached
/// at the container's address on the stack network, so the portal must reach that network (a local engine);
/// the proxysql image has no client to exec. keepalived is ready when exactly one router node holds the virtual IP.
/// </summary>
internal sealed partial class NodeReadiness
{
    private async Task WaitForRouterAsync(CancellationToken ct)
    {
        var login = stack.RouterAdmin ?? throw new DeployStepException("The desired stack has no router admin login.");
        var address = await engine.AddressOnNetworkAsync(containerId, stack.Network, ct).ConfigureAwait(false)
            ?? throw new DeployStepException($"Container has no address on network {stack.Network}.");
        var admin = new ProxySqlAdminClient(new ProxySqlEndpoint(address, StackPorts.ProxySqlAdmin, login.User, login.Password), node.Node);
        report($"admin interface at {address}:{StackPorts.ProxySqlAdmin}");
        await UntilAsync("hold the topology in its runtime tables", async t =>
        {
            try
            {
                var differences = await RouterConfiguration.DifferencesAsync(admin, Spec, t).ConfigureAwait(false);
                return (differences.IsEmpty, string.Join(" ", differences));
            }
            catch (ProxySqlAdminException e)
            {
                return (false, e.Message);
            }
        }, ct).ConfigureAwait(false);
    }

    private async Task WaitForVirtualIpAsync(CancellationToken ct)
    {
        var vip = Spec.SqlRouter!.VirtualIp!;
        var peers = stack.Containers.Where(c => c.Tier == DeployTier.RouterVip).ToList();
        await UntilAsync($"have one router node hold the virtual IP {vip}", async t =>
        {
            var holders = new List<string>();
            foreach (var peer in peers)
            {
                try
                {
                    var r = await engine.ExecAsync(peer.Definition.Name, ["ip", "-o", "-4", "addr", "show"], t).ConfigureAwait(false);
                    if (r.Succeeded && HoldsAddress(r.Stdout, vip)) holders.Add(peer.Node);
                }
                catch (Docker.ContainerEngineException)
                {
                    // A neighbour not started yet holds nothing.
                }
            }
            return (holders.Count == 1, holders.Count == 0 ? "no node holds it yet" : $"held by {string.Join(", ", holders)}");
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Whether <c>ip -o -4 addr show</c> output lists the address (as "inet A.B.C.D/len").</summary>
    internal static bool HoldsAddress(string ipAddrOutput, string address) =>
        ipAddrOutput.Split('\n').Any(l => l.Contains($" inet {address}/", StringComparison.Ordinal));
}
