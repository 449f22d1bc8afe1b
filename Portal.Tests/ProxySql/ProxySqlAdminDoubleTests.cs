using HaPortal.Tests.Infrastructure;
using MySqlConnector;

namespace HaPortal.Tests.ProxySql;

/// <summary>The test double answers like the real ProxySQL 2.7.1 admin wherever the captured transcripts show it.</summary>
public sealed class ProxySqlAdminDoubleTests : IAsyncLifetime
{
    private readonly ProxySqlAdminDouble _double = ProxySqlAdminDouble.Start();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _double.DisposeAsync();

    private static string Transcript(string name) => File.ReadAllText(Path.Combine(RepoPaths.Shared, "proxysql", name));

    private MySqlConnection Connect(string? password = null) => new(new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1", Port = (uint)_double.Port, UserID = _double.User, Password = password ?? _double.Password,
        Pooling = false, SslMode = MySqlSslMode.Preferred, ConnectionTimeout = 5,
    }.ConnectionString);

    [Theory]
    [InlineData("load_save_query_rules.txt")]
    [InlineData("rw-split-setup.txt")]
    public async Task Replay_CapturedTranscript_AnswersAsTheRealAdminDid(string file)
    {
        var steps = AdminTranscript.Parse(Transcript(file))
            .Where(s => !s.Statement.Contains("runtime_checksums_values", StringComparison.Ordinal)) // checksums are not modelled
            .ToList();
        Assert.True(steps.Count >= 10, $"{file}: only {steps.Count} steps parsed");

        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await AdminTranscript.ReplayAsync(connection, steps, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Login_WrongPassword_RefusedWithProxySqlMessage()
    {
        await using var connection = Connect("wrong");

        var e = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync(TestContext.Current.CancellationToken));

        Assert.Equal("ProxySQL Error: Access denied for user 'admin'@'127.0.0.1' (using password: YES)", e.Message);
        Assert.Contains($"ERROR 1045 (28000): {e.Message}", Transcript("load_save_query_rules.txt"));
    }

    [Fact]
    public async Task SelectVersion_AnswersCapturedVersion()
    {
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new MySqlCommand("SELECT @@version", connection);

        Assert.Equal(ProxySqlAdminDouble.Version, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        Assert.Contains(ProxySqlAdminDouble.Version, Transcript("version.txt"));
    }

    [Theory]
    [InlineData("LOAD MYSQL QUERY RULES TO RUN", "runtime_mysql_query_rules")]
    [InlineData("LOAD MYSQL QUERY RULES FROM MEM", "runtime_mysql_query_rules")]
    [InlineData("LOAD MYSQL QUERY RULES FROM MEMORY", "runtime_mysql_query_rules")]
    [InlineData("SAVE MYSQL QUERY RULES TO DISK", "disk.mysql_query_rules")]
    [InlineData("SAVE MYSQL QUERY RULES FROM MEM", "disk.mysql_query_rules")]
    public async Task LoadSave_Aliases_CopyMainToTheNamedLayer(string command, string target)
    {
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await new MySqlCommand("INSERT INTO mysql_query_rules (rule_id,active,match_digest,destination_hostgroup,apply) VALUES (7,1,'^SELECT',20,1)", connection)
            .ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        await new MySqlCommand(command, connection).ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        Assert.Equal([["7", "^SELECT"]], _double.QueryDirect($"SELECT rule_id, match_digest FROM {target}"));
    }

    [Fact]
    public async Task LoadFromDisk_And_SaveFromRuntime_CopyBackIntoMain()
    {
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        async Task Run(string sql) => await new MySqlCommand(sql, connection).ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        await Run("INSERT INTO mysql_servers (hostgroup_id,hostname,port) VALUES (10,'db1',3306)");
        await Run("SAVE MYSQL SERVERS TO DISK");
        await Run("DELETE FROM mysql_servers");
        await Run("LOAD MYSQL SERVERS FROM DISK");
        Assert.Equal([["db1"]], _double.QueryDirect("SELECT hostname FROM main.mysql_servers"));

        await Run("LOAD MYSQL SERVERS TO RUNTIME");
        await Run("DELETE FROM mysql_servers");
        await Run("SAVE MYSQL SERVERS FROM RUNTIME");
        Assert.Equal([["db1"]], _double.QueryDirect("SELECT hostname FROM main.mysql_servers"));
    }

    [Fact]
    public async Task FailOn_InjectedCommand_AnswersProxySqlErrorOnceAndChangesNothing()
    {
        _double.FailOn("LOAD MYSQL QUERY RULES", "disk full");
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await new MySqlCommand("INSERT INTO mysql_query_rules (rule_id,active,apply) VALUES (1,1,1)", connection)
            .ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<MySqlException>(() =>
            new MySqlCommand("LOAD MYSQL QUERY RULES TO RUNTIME", connection).ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ProxySQL Admin Error: disk full", e.Message);
        Assert.Empty(_double.QueryDirect("SELECT * FROM runtime_mysql_query_rules"));

        await new MySqlCommand("LOAD MYSQL QUERY RULES TO RUNTIME", connection).ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        Assert.Single(_double.QueryDirect("SELECT * FROM runtime_mysql_query_rules"));
    }

    [Fact]
    public async Task Transaction_Rollback_UndoesAdminWrites()
    {
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        async Task Run(string sql) => await new MySqlCommand(sql, connection).ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        await Run("BEGIN");
        await Run("INSERT INTO mysql_users (username,password,default_hostgroup) VALUES ('app','pw',10)");
        await Run("ROLLBACK");

        Assert.Empty(_double.QueryDirect("SELECT * FROM mysql_users"));
    }

    [Fact]
    public async Task StatsTables_ReadableWithoutPrefix_AsCaptured()
    {
        _double.AddDigest(20, "blog", "app", "SELECT @@server_id,count(*) FROM posts", 60);
        await using var connection = Connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new MySqlCommand("SELECT hostgroup, digest_text, count_star FROM stats_mysql_query_digest", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);

        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(("20", "SELECT @@server_id,count(*) FROM posts", "60"), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
    }

    [Fact]
    public void GlobalVariables_SeededFromCapture_AllLayers()
    {
        foreach (var table in new[] { "main.global_variables", "main.runtime_global_variables", "disk.global_variables" })
            Assert.Equal([["212"]], _double.QueryDirect($"SELECT COUNT(*) FROM {table}"));
    }
}
