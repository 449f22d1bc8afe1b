using HaPortal.Core.Deploy;
using HaPortal.Hosting;

namespace HaPortal.Cli;

/// <summary>The control-plane services for one command: same settings and database as the portal, no web host.</summary>
public static class CommandServices
{
    public static async Task<ServiceProvider> OpenAsync(CancellationToken ct)
    {
        var config = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = config.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        var services = new ServiceCollection().AddLogging().AddSingleton(options).AddPortalCore(options).AddDeploy(config).AddDeployedLoadBalancers().BuildServiceProvider();
        await CoreServices.MigrateAsync(services, ct);
        return services;
    }
}
