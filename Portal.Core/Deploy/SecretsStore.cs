using System.Security.Cryptography;
using System.Text.Json;
using HaPortal.Core.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace HaPortal.Core.Deploy;

/// <summary>
/// Each topology's <see cref="StackSecrets"/>, generated once and kept in the control-plane database encrypted with
/// ASP.NET Core Data Protection (keys under <c>Portal:DataFolder/keys</c>, shared by the admin host and the command
/// line), so every later plan gets the same ones: the data volumes were initialised with them. Nothing here logs, and
/// no message or exception carries a value. Singleton; thread-safe; every method honours its cancellation token.
/// See docs/decisions/0010-stack-secrets-encrypted-with-data-protection.md.
/// </summary>
public sealed class SecretsStore(IDbContextFactory<PortalDb> dbs, IDataProtectionProvider protection, TimeProvider time)
{
    /// <summary>Data Protection purpose: ciphertext made for another purpose (or another application name) does not open here.</summary>
    public const string Purpose = "HaPortal.Deploy.StackSecrets.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    // Two plans of one topology at once in this process (the page and the API) must not generate two sets.
    private readonly SemaphoreSlim _creating = new(1, 1);

    /// <summary>The stored secrets of a topology, or null when it has none.</summary>
    public async Task<StackSecrets?> FindAsync(string topology, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var row = await db.StackSecrets.SingleOrDefaultAsync(r => r.Topology == topology, ct).ConfigureAwait(false);
        if (row is null) return null;
        var stored = Open(row);
        if (StackSecrets.Variables.All(stored.ContainsKey)) return StackSecrets.FromEnvironment(stored)!;
        // A secret added by a later version: generated once for this stack and kept, the stored ones unchanged.
        var completed = StackSecrets.FromEnvironment(StackSecrets.Generate().ToVariables().SetItems(stored))!;
        row.Protected = Seal(completed);
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
        return completed;
    }

    /// <summary>
    /// The topology's secrets: the stored ones, else <paramref name="existing"/>'s (a stack deployed before secrets
    /// were stored keeps the passwords its data volumes were made with), else new ones; stored before they are returned.
    /// </summary>
    public async Task<StackSecrets> GetOrCreateAsync(string topology, Func<CancellationToken, Task<StackSecrets?>>? existing, CancellationToken ct)
    {
        if (await FindAsync(topology, ct).ConfigureAwait(false) is { } found) return found;
        await _creating.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await FindAsync(topology, ct).ConfigureAwait(false) is { } raced) return raced;
            var secrets = (existing is null ? null : await existing(ct).ConfigureAwait(false)) ?? StackSecrets.Generate();
            await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
            db.StackSecrets.Add(new StackSecretsRecord { Topology = topology, Protected = Seal(secrets), CreatedAt = time.GetUtcNow() });
            try
            {
                await db.SaveChangesAsync(ct).ConfigureAwait(false);
                return secrets;
            }
            catch (DbUpdateException)
            {
                // Another process (the command line beside the portal) stored them first: theirs win, ours were never used.
                return await FindAsync(topology, ct).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Could not store the secrets of topology '{topology}'.");
            }
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <summary>Forgets a topology's secrets (its data volumes are gone); true when there were some.</summary>
    public async Task<bool> ForgetAsync(string topology, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        return await db.StackSecrets.Where(r => r.Topology == topology).ExecuteDeleteAsync(ct).ConfigureAwait(false) > 0;
    }

    private string Seal(StackSecrets secrets) => _protector.Protect(JsonSerializer.Serialize(secrets.ToVariables()));

    private Dictionary<string, string> Open(StackSecretsRecord row)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(_protector.Unprotect(row.Protected))
                ?? throw new CryptographicException("empty payload");
        }
        catch (Exception e) when (e is CryptographicException or JsonException)
        {
            // The keys were replaced or lost: say where they belong, never what the row holds.
            throw new InvalidOperationException(
                $"The stored secrets of topology '{row.Topology}' cannot be decrypted: the Data Protection keys (Portal:DataFolder/keys) " +
                "are not the ones they were encrypted with. Restore that key folder, or destroy the stack with --volumes to start again.", e);
        }
    }
}
