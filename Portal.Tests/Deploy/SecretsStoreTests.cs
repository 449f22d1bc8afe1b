using HaPortal.Core.Deploy;
using HaPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Tests.Deploy;

/// <summary>The store on a real SQLite database and a real Data Protection key ring in a temp folder.</summary>
public sealed class SecretsStoreTests : IDisposable
{
    private readonly TestDatabase _db = new();
    private readonly string _keys = Directory.CreateTempSubdirectory("haportal-keys-").FullName;

    private SecretsStore Store(string? keys = null) =>
        new(_db, DataProtectionProvider.Create(new DirectoryInfo(keys ?? _keys), b => b.SetApplicationName("HaPortal")), _db.Time);

    [Fact]
    public async Task GetOrCreate_GeneratesOnce_ThenEveryStoreOnTheSameKeysReturnsTheSameSecrets()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await Store().GetOrCreateAsync("shop", null, ct);

        // A new store, as the next command line run or the portal after a restart makes it.
        var again = await Store().GetOrCreateAsync("shop", null, ct);
        var found = await Store().FindAsync("shop", ct);

        Assert.Equal(first, again);
        Assert.Equal(first, found);
        Assert.NotEqual(first, await Store().GetOrCreateAsync("other", null, ct));
    }

    [Fact]
    public async Task Stored_IsEncryptedAtRest_TheRawColumnHoldsNoPassword()
    {
        var ct = TestContext.Current.CancellationToken;
        var secrets = await Store().GetOrCreateAsync("shop", null, ct);

        var raw = await RawRowAsync("shop", ct);

        Assert.NotEmpty(raw);
        foreach (var value in secrets.ToVariables().Values)
        {
            Assert.DoesNotContain(value, raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)), raw, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(StackSecrets.AppVariable, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Find_WithAnotherKeyRing_FailsNamingTheTopologyAndTheKeyFolder_NotTheSecrets()
    {
        var ct = TestContext.Current.CancellationToken;
        var secrets = await Store().GetOrCreateAsync("shop", null, ct);
        var otherKeys = Directory.CreateTempSubdirectory("haportal-keys-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store(otherKeys).FindAsync("shop", ct));

            Assert.Contains("'shop'", error.Message);
            Assert.Contains("Portal:DataFolder/keys", error.Message);
            Assert.DoesNotContain(secrets.AppPassword, error.ToString());
        }
        finally
        {
            Directory.Delete(otherKeys, recursive: true);
        }
    }

    [Fact]
    public async Task GetOrCreate_AdoptsTheSecretsARunningStackWasMadeWith_OnlyWhenNoneAreStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var running = new StackSecrets("repl-old", "app-old", "monitor-old");
        var calls = 0;
        Task<StackSecrets?> Existing(CancellationToken _)
        {
            calls++;
            return Task.FromResult<StackSecrets?>(running);
        }

        var adopted = await Store().GetOrCreateAsync("legacy", Existing, ct);
        var later = await Store().GetOrCreateAsync("legacy", Existing, ct);

        Assert.Equal(running, adopted);
        Assert.Equal(running, later);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Forget_RemovesThem_TheNextDeployGetsNewOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await Store().GetOrCreateAsync("shop", null, ct);

        Assert.True(await Store().ForgetAsync("shop", ct));
        Assert.Null(await Store().FindAsync("shop", ct));
        Assert.False(await Store().ForgetAsync("shop", ct));
        Assert.NotEqual(before, await Store().GetOrCreateAsync("shop", null, ct));
    }

    [Fact]
    public async Task GetOrCreate_ManyAtOnce_StoresOneSet()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = Store();

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.GetOrCreateAsync("shop", null, ct)));

        Assert.Single(all.Distinct());
    }

    private async Task<string> RawRowAsync(string topology, CancellationToken ct)
    {
        await using var db = _db.CreateDbContext();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM StackSecrets WHERE Topology = $t";
        command.Parameters.AddWithValue("$t", topology);
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct));
        return string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i)?.ToString()));
    }

    public void Dispose()
    {
        _db.Dispose();
        Directory.Delete(_keys, recursive: true);
    }
}
