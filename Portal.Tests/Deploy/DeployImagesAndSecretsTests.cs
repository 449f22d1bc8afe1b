using System.Text.Json;
using HaPortal.Core.Deploy;
using HaPortal.Core.Security;
using HaPortal.Tests.Docker;
using HaPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;

namespace HaPortal.Tests.Deploy;

/// <summary>
/// Plans and an apply on the real engine that create nothing: an image the engine lacks and cannot pull (there is no
/// registry here, and the name exists nowhere), and the stored secrets of the topology kept out of every text.
/// </summary>
public sealed class DeployImagesAndSecretsTests : IDisposable
{
    private const string AbsentImage = "haportal/deploy-core-absent:never";
    private readonly TestDatabase _db = new();
    private readonly string _keys = Directory.CreateTempSubdirectory("haportal-keys-").FullName;

    [Fact(Timeout = 300_000)]
    public async Task Apply_ImageNeitherPresentNorPullable_StopsAtThePullNamingIt_CreatesNothing_NoSecretInPlanEventsOrAudit()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = await DockerTestEngine.RequireAsync(new DeploySettings(), ct);
        Assert.Null(await engine.ImageIdAsync(AbsentImage, ct));
        var settings = new DeploySettings { PublishAddress = "127.0.0.1", WebImage = AbsentImage };
        var store = new SecretsStore(_db, DataProtectionProvider.Create(new DirectoryInfo(_keys), b => b.SetApplicationName("HaPortal")), _db.Time);
        var deployer = new StackDeployer(engine, settings, TimeProvider.System, secrets: store);
        var operations = new DeployOperations(new StackDeployerRunner(deployer), _db.Topologies, _db.Audit, settings);
        var spec = TestStacks.Small(DockerTestEngine.UniqueName("pull"), FreePort.Next(), FreePort.Next());

        try
        {
            var prepared = await operations.PlanAsync(spec, ct);
            Assert.True(prepared.Plan.CanApply, string.Join("; ", prepared.Plan.Problems));
            Assert.Equal($"pull image {AbsentImage} (not on the engine)", prepared.Plan.Steps[0].ToString());

            var events = new List<DeployProgress>();
            await foreach (var e in operations.ApplyAsync(Actor.CommandLine(), prepared, "test", ct)) events.Add(e);

            var failed = events[^1];
            Assert.Equal(DeployEventKind.Failed, failed.Kind);
            Assert.Equal((PlanAction.Pull, AbsentImage), (failed.Step!.Action, failed.Step.Name));
            Assert.Contains($"Could not pull image '{AbsentImage}': ", failed.Message);
            Assert.Contains("Done before stopping: nothing.", failed.Message);
            Assert.Empty(failed.Done);
            Assert.True((await engine.ObserveAsync(spec.Name, ct)).IsEmpty, "the failed pull must stop the apply before anything is created");

            // The same stored secrets on the next plan (the containers' hashes do not change), and none of them in any text.
            var secrets = await store.FindAsync(spec.Name, ct);
            Assert.NotNull(secrets);
            var again = await operations.PlanAsync(spec, ct);
            Assert.Equal(SettingsHashes(prepared), SettingsHashes(again));
            Assert.Equal(secrets.AppPassword, again.Desired!.Containers.Single(c => c.Node == "db1").Definition.SecretEnvironment[StackSecrets.AppVariable]);

            var audit = Assert.Single(await _db.Audit.QueryAsync(new HaPortal.Core.Audit.AuditQuery(Target: spec.Name), ct));
            var texts = new List<string>
            {
                string.Join('\n', prepared.Plan.Steps.Select(s => s.ToString())),
                JsonSerializer.Serialize(prepared.Plan),
                audit.Summary, audit.Before ?? "", audit.After ?? "",
            };
            texts.AddRange(events.Select(e => e.Message));
            foreach (var value in secrets.ToVariables().Values)
                Assert.DoesNotContain(texts, t => t.Contains(value, StringComparison.Ordinal));
        }
        finally
        {
            await foreach (var _ in deployer.DestroyAsync(await deployer.PlanDestroyAsync(spec.Name, includeVolumes: true, CancellationToken.None), CancellationToken.None)) { }
        }
        // Nothing holds those passwords any more: a destroy that leaves no data volume forgets them.
        Assert.Null(await store.FindAsync(spec.Name, ct));
    }

    private static Dictionary<string, string> SettingsHashes(PreparedDeploy prepared) =>
        prepared.Desired!.Containers.ToDictionary(c => c.Node, c => c.SettingsHash);

    public void Dispose()
    {
        _db.Dispose();
        Directory.Delete(_keys, recursive: true);
    }
}
