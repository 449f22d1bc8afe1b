using Bunit;
using HaPortal.Components.Pages.Deploy;
using HaPortal.Core.Audit;
using HaPortal.Core.Deploy;
using HaPortal.Core.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace HaPortal.Tests.Components;

/// <summary>The deploy page with a scripted deployer: the plan as a diff, roles, live progress and its audit record.</summary>
public sealed class DeployPageTests : PortalComponentContext
{
    private const string Name = "pagetest";
    private readonly ScriptedDeployRunner _runner = new();

    private static readonly PlanStep Network = new(PlanAction.Create, PlanObject.Network, "haportal-pagetest", null, DeployTier.Network, 0);
    private static readonly PlanStep Db1 = new(PlanAction.Create, PlanObject.Container, "pagetest-db1", "db1", DeployTier.Primary, 1);
    private static readonly PlanStep Web1 = new(PlanAction.Recreate, PlanObject.Container, "pagetest-web1", "web1", DeployTier.Web, 4, "config changed", "abc");
    private static readonly PlanStep Web9 = new(PlanAction.Remove, PlanObject.Container, "pagetest-web9", "web9", DeployTier.Web, 11, "not in the topology", "def");

    public DeployPageTests()
    {
        Services.AddSingleton<IDeployRunner>(_runner);
        Services.AddSingleton(new DeploySettings { PublishAddress = "127.0.0.1" });
        Services.AddSingleton<DeployOperations>();
    }

    private async Task SaveAsync(DeployTarget target = DeployTarget.Docker) =>
        Assert.True((await Store.SaveAsync(new TopologySpec
        {
            Name = Name,
            Deploy = new DeploySpec { Target = target },
            LoadBalancer = new LoadBalancerSpec { PublishPort = 18080 },
            Web = new WebTierSpec { Nodes = [new WebNodeSpec { Name = "web1" }] },
            Database = new DatabaseSpec { Primary = new DbNodeSpec { Name = "db1" } },
        }, new Core.Security.Actor("setup", new HashSet<string> { Core.Security.Roles.Admin }), "test", Ct)).Saved);

    [Fact]
    public async Task Plan_IsGroupedByTier_WithSignsAndTheReasonOfEachRecreate()
    {
        await SaveAsync();
        _runner.Steps = [Network, Db1, Web1, Web9];
        SignIn("olga", "Operator");

        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=plan-tier]").Count));
        Assert.Equal(["Network and data volumes", "Primary database", "Web nodes"],
            page.FindAll("[data-testid=plan-tier] .mud-typography-subtitle2").Select(e => e.TextContent.Trim()));
        var steps = page.FindAll("[data-testid=plan-step]");
        Assert.Equal(["create", "create", "recreate", "remove"], steps.Select(s => s.GetAttribute("data-action")));
        Assert.Contains("config changed", steps[2].TextContent);
        Assert.StartsWith("~", steps[2].TextContent.Trim());
        Assert.Contains("not in the topology", steps[3].TextContent);
        Assert.Equal("2 to create, 1 to recreate, 1 to remove.", page.Find("[data-testid=plan-summary]").TextContent);
        Assert.False(page.Find("[data-testid=apply]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task SwarmPlan_SaysWhereItDeploys_AndShowsServiceUpdatesWithTheirReason()
    {
        await SaveAsync(DeployTarget.Swarm);
        _runner.Steps =
        [
            new(PlanAction.Create, PlanObject.Service, "pagetest-db1", "db1", DeployTier.Primary, 1),
            new(PlanAction.Update, PlanObject.Service, "pagetest-web1", "web1", DeployTier.Web, 4, "placement changed: node.id==a → node.id==b", "svc1"),
        ];
        SignIn("olga", "Operator");

        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=plan-step]").Count));
        Assert.Contains("revision 1 · to the Docker Swarm", page.Markup);
        var update = page.FindAll("[data-testid=plan-step]")[1];
        Assert.Equal("update", update.GetAttribute("data-action"));
        Assert.StartsWith("~", update.TextContent.Trim());
        Assert.Contains("service pagetest-web1", update.TextContent);
        Assert.Contains("placement changed: node.id==a → node.id==b", update.QuerySelector("[data-testid=plan-reason]")!.TextContent);
        Assert.Equal("1 to create, 1 to update, 0 to recreate, 0 to remove.", page.Find("[data-testid=plan-summary]").TextContent);
    }

    [Fact]
    public async Task Viewer_SeesPlanAndState_ButNoApplyOrDestroy()
    {
        await SaveAsync();
        _runner.Steps = [Db1];
        _runner.Status = new StackStatus(Name, [new NodeStatus("db1", "primary", "pagetest-db1", "haportal/mariadb:dev", "running", "healthy", 2)],
            ["haportal-pagetest"], ["pagetest-db1-data"]);
        SignIn("vera", "Viewer");

        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=plan-step]")));
        var row = page.Find("[data-testid=state-row]");
        Assert.Contains("running", row.TextContent);
        Assert.Contains("healthy", row.TextContent);
        Assert.Contains("2", row.Children[5].TextContent);
        Assert.Equal("http://127.0.0.1:18080/", page.Find("[data-testid=site-link]").GetAttribute("href"));
        Assert.NotNull(page.Find("[data-testid=viewer-note]"));
        Assert.Empty(page.FindAll("[data-testid=apply]"));
        Assert.Empty(page.FindAll("[data-testid=destroy]"));
    }

    [Fact]
    public async Task NothingToDo_SaysUpToDate()
    {
        await SaveAsync();
        SignIn("olga", "Operator");

        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));

        page.WaitForAssertion(() => Assert.Contains("applying changes nothing", page.Find("[data-testid=plan-up-to-date]").TextContent));
    }

    [Fact]
    public async Task PlanProblems_AreShownWithTheirField_AndApplyIsDisabled()
    {
        await SaveAsync();
        _runner.Steps = [Db1];
        _runner.Problems = ["Image 'haportal/web:dev' is not present on the engine.", "database.flavor: only mariadb is deployed so far."];
        SignIn("olga", "Operator");

        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=plan-problem]").Count));
        Assert.Equal(["plan", "database.flavor"], page.FindAll("[data-testid=plan-problem]").Select(p => p.GetAttribute("data-field")));
        Assert.True(page.Find("[data-testid=apply]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Apply_Confirmed_RendersEachStepLive_ThenTheFailedStepNodeAndMessage_AndIsAudited()
    {
        await SaveAsync();
        _runner.Steps = [Db1, Web1];
        SignIn("olga", "Operator");
        var page = RenderPage<DeployPage>(p => p.Add(x => x.Name, Name));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=plan-step]").Count));

        page.Find("[data-testid=apply]").Click();
        DialogHost.WaitForAssertion(() => Assert.Contains("revision 1", DialogHost.Markup));
        DialogHost.FindAll("button").Single(b => b.TextContent.Trim() == "Apply").Click();

        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=apply]").HasAttribute("disabled")));
        _runner.Emit(new DeployProgress(DeployEventKind.StepStarted, Db1, Db1.ToString(), TimeSpan.FromSeconds(0.1), []));
        page.WaitForAssertion(() => Assert.Equal("running", page.Find("[data-testid=progress-step]").GetAttribute("data-state")));
        _runner.Emit(new DeployProgress(DeployEventKind.StepProgress, Db1, "started; waiting until it serves", TimeSpan.FromSeconds(1), []));
        page.WaitForAssertion(() => Assert.Contains("waiting until it serves", page.Find("[data-testid=progress-step]").TextContent));
        _runner.Emit(new DeployProgress(DeployEventKind.StepSucceeded, Db1, Db1.ToString(), TimeSpan.FromSeconds(4), []));
        _runner.Emit(new DeployProgress(DeployEventKind.StepStarted, Web1, Web1.ToString(), TimeSpan.FromSeconds(4), []));
        _runner.Emit(new DeployProgress(DeployEventKind.StepFailed, Web1, "HTTP check /health answered 500", TimeSpan.FromSeconds(9), []));
        _runner.Emit(new DeployProgress(DeployEventKind.Failed, Web1, "Step 'recreate container pagetest-web1' on node 'web1' failed: HTTP check /health answered 500",
            TimeSpan.FromSeconds(9), [Db1]));

        page.WaitForAssertion(() => Assert.Equal("failed", page.Find("[data-testid=deploy-outcome]").GetAttribute("data-outcome")));
        Assert.Equal(["done", "failed"], page.FindAll("[data-testid=progress-step]").Select(r => r.GetAttribute("data-state")));
        Assert.Contains("on node web1", page.Find("[data-testid=failed-step]").TextContent);
        Assert.Contains("answered 500", page.Find("[data-testid=outcome-message]").TextContent);
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=apply]").HasAttribute("disabled")));

        var entry = Assert.Single(await Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery(Action: "deploy.apply"), Ct));
        Assert.Equal(("olga", Name), (entry.User, entry.Target));
        Assert.Contains("failed at 'recreate container pagetest-web1 (config changed)' on node 'web1'", entry.Summary);
        Assert.Equal("nothing on the engine", entry.Before);
    }

    [Fact]
    public async Task Viewer_CallingApplyDirectly_IsRefusedBeforeAnythingRuns()
    {
        await SaveAsync();
        _runner.Steps = [Db1];
        var ops = Services.GetRequiredService<DeployOperations>();
        var preview = await ops.PreviewAsync(Name, Ct);

        Assert.Throws<Core.Security.ForbiddenException>(() =>
            ops.ApplyAsync(new Core.Security.Actor("vera", new HashSet<string> { Core.Security.Roles.Viewer }), preview, Ct));
        Assert.Equal(0, _runner.Applies);
    }

    [Fact]
    public async Task SecondApply_WhileOneRuns_EndsInOneFailedEventNamingWhoRunsIt()
    {
        await SaveAsync();
        _runner.Steps = [Db1];
        var ops = Services.GetRequiredService<DeployOperations>();
        var olga = new Core.Security.Actor("olga", new HashSet<string> { Core.Security.Roles.Operator });
        var first = ops.ApplyAsync(olga, await ops.PreviewAsync(Name, Ct), Ct).GetAsyncEnumerator(Ct);
        _runner.Emit(new DeployProgress(DeployEventKind.StepStarted, Db1, Db1.ToString(), TimeSpan.Zero, []));
        Assert.True(await first.MoveNextAsync());

        var second = new List<DeployProgress>();
        await foreach (var e in ops.ApplyAsync(olga with { Name = "otto" }, await ops.PreviewAsync(Name, Ct), Ct)) second.Add(e);

        var refused = Assert.Single(second);
        Assert.Equal(DeployEventKind.Failed, refused.Kind);
        Assert.Contains("already running (started by olga)", refused.Message);
        Assert.Equal(1, _runner.Applies);
        _runner.Emit(new DeployProgress(DeployEventKind.Completed, null, "1 step(s) done.", TimeSpan.Zero, [Db1]));
        while (await first.MoveNextAsync()) { }
        await first.DisposeAsync();
        Assert.Null(ops.RunningBy(Name));
    }

    [Fact]
    public async Task DeploymentsPage_ListsEachTopologyWithWhatRuns_AndLinksToItsDeployPage()
    {
        await SaveAsync();
        _runner.Status = new StackStatus(Name, [new NodeStatus("db1", "primary", "pagetest-db1", "haportal/mariadb:dev", "running", "healthy", 0),
            new NodeStatus("web1", "web", "pagetest-web1", "haportal/web:dev", "exited", null, 3)], [], []);
        SignIn("vera", "Viewer");

        var page = RenderPage<DeploymentsPage>();

        page.WaitForAssertion(() => Assert.Contains("1 of 2 containers running", page.Find("[data-testid=deployment-row]").TextContent));
        Assert.Equal($"/topologies/{Name}/deploy", page.Find("[data-testid=open-deploy]").GetAttribute("href"));
    }
}
