using HaPortal.Core.Rendering;
using HaPortal.Core.Topology;

namespace HaPortal.Tests.Rendering;

public class ProxySqlRendererTests
{
    private static readonly StackSecrets Secrets = StackSecrets.Placeholders;

    [Fact]
    public void RenderCnf_Seed_PutsPrimaryInWriterAndReplicaInReaderHostgroup()
    {
        var cnf = ProxySqlRenderer.RenderCnf(Topologies.Seed, Secrets);

        Assert.Contains("{ address=\"db1\", port=3306, hostgroup=10, weight=1000, comment=\"db1 primary\" }", cnf);
        Assert.Contains("{ address=\"db2\", port=3306, hostgroup=20, weight=1000, comment=\"db2 replica\" }", cnf);
        Assert.Contains("{ writer_hostgroup=10, reader_hostgroup=20, check_type=\"read_only\", comment=\"seed-stack\" }", cnf);
    }

    [Fact]
    public void RenderCnf_Seed_AdminAndClientInterfacesListenOnAllAddressesOfTheContainer()
    {
        var cnf = ProxySqlRenderer.RenderCnf(Topologies.Seed, Secrets);

        Assert.Contains("mysql_ifaces=\"0.0.0.0:6032\"", cnf);
        Assert.Contains("interfaces=\"0.0.0.0:6033\"", cnf);
        Assert.Contains("admin_credentials=\"portal:CHANGE-ME-proxysql-admin-password\"", cnf);
        Assert.Contains("monitor_username=\"monitor\"", cnf);
        Assert.Contains("monitor_password=\"CHANGE-ME-monitor-password\"", cnf);
        Assert.Contains("server_version=\"10.11.0-MariaDB\"", cnf);
    }

    [Fact]
    public void RenderCnf_AppUser_DefaultsToWriterHostgroupAndAppSchema()
    {
        var cnf = ProxySqlRenderer.RenderCnf(Topologies.Seed, Secrets);

        Assert.Contains("{ username=\"app\", password=\"CHANGE-ME-app-password\", default_hostgroup=10, default_schema=\"blog\", transaction_persistent=1, active=1 }", cnf);
    }

    [Fact]
    public void RenderCnf_QueryRules_ResolveDestinationNames()
    {
        var cnf = ProxySqlRenderer.RenderCnf(Topologies.Seed, Secrets);

        Assert.Contains("{ rule_id=100, active=1, match_digest=\"^SELECT .* FOR UPDATE\", destination_hostgroup=10, apply=1, comment=\"locking reads stay on the primary\" }", cnf);
        Assert.Contains("{ rule_id=200, active=1, match_digest=\"^SELECT\", destination_hostgroup=20, apply=1, comment=\"other reads go to replicas\" }", cnf);
    }

    [Fact]
    public void RenderCnf_RegexWithBackslashAndQuote_IsEscapedForLibconfig()
    {
        var spec = WithRule(new QueryRuleSpec { Id = 5, MatchPattern = "^SELECT \\d+ \"x\"", Destination = "reader" });

        Assert.Contains("match_pattern=\"^SELECT \\\\d+ \\\"x\\\"\"", ProxySqlRenderer.RenderCnf(spec, Secrets));
    }

    [Theory]
    [InlineData("seed", false)]
    [InlineData("two-routers-vip", true)]
    public void RenderCnf_ProxySqlServers_OnlyForAClusterOfRouters(string variant, bool cluster)
    {
        var cnf = ProxySqlRenderer.RenderCnf(Topologies.Variant(variant), Secrets);

        Assert.Equal(cluster, cnf.Contains("proxysql_servers=", StringComparison.Ordinal));
        Assert.Equal(cluster, cnf.Contains("cluster_username=\"portal\"", StringComparison.Ordinal));
        if (cluster) Assert.Contains("{ hostname=\"proxysql2\", port=6032, weight=0, comment=\"proxysql2\" }", cnf);
    }

    [Fact]
    public void RenderCnf_AdminPasswordWithSeparator_IsRefused()
    {
        var secrets = Secrets with { ProxySqlAdminPassword = "a;b" };

        Assert.Throws<ArgumentException>(() => ProxySqlRenderer.RenderCnf(Topologies.Seed, secrets));
    }

    [Fact]
    public void RenderAdminSql_Seed_MatchesTheCapturedSetupStatements()
    {
        var sql = ProxySqlRenderer.RenderAdminSql(Topologies.Seed, Secrets);

        // The statements of shared/proxysql/rw-split-setup.txt, with the topology's hosts and port.
        Assert.Contains("INSERT INTO mysql_servers (hostgroup_id,hostname,port,weight,comment) VALUES (10,'db1',3306,1000,'db1 primary'),(20,'db2',3306,1000,'db2 replica')", sql);
        Assert.Contains("INSERT INTO mysql_replication_hostgroups (writer_hostgroup,reader_hostgroup,check_type,comment) VALUES (10,20,'read_only','seed-stack')", sql);
        Assert.Contains("UPDATE global_variables SET variable_value='monitor' WHERE variable_name='mysql-monitor_username'", sql);
        Assert.Contains("INSERT INTO mysql_query_rules (rule_id,active,username,schemaname,flagIN,match_digest,match_pattern,negate_match_pattern,flagOUT,destination_hostgroup,apply,comment) VALUES "
                        + "(100,1,NULL,NULL,0,'^SELECT .* FOR UPDATE',NULL,0,NULL,10,1,'locking reads stay on the primary'),"
                        + "(200,1,NULL,NULL,0,'^SELECT',NULL,0,NULL,20,1,'other reads go to replicas')", sql);
    }

    [Fact]
    public void RenderAdminSql_EveryTableIsLoadedToRuntimeThenSavedToDiskAfterItsChanges()
    {
        var sql = ProxySqlRenderer.RenderAdminSql(Topologies.Variant("two-routers-vip"), Secrets).ToList();

        foreach (var (table, module) in new[] { ("mysql_servers", "MYSQL SERVERS"), ("mysql_replication_hostgroups", "MYSQL SERVERS"),
                     ("mysql_users", "MYSQL USERS"), ("mysql_query_rules", "MYSQL QUERY RULES"), ("proxysql_servers", "PROXYSQL SERVERS"),
                     ("global_variables", "MYSQL VARIABLES") })
        {
            var lastChange = sql.FindLastIndex(s => s.Contains($" {table} ", StringComparison.Ordinal) || s.StartsWith($"UPDATE {table} ", StringComparison.Ordinal));
            var load = sql.IndexOf($"LOAD {module} TO RUNTIME");
            var save = sql.IndexOf($"SAVE {module} TO DISK");
            Assert.True(lastChange >= 0 && lastChange < load && load < save, $"{table}: change at {lastChange}, load at {load}, save at {save}");
        }
        Assert.Contains("INSERT INTO proxysql_servers (hostname,port,weight,comment) VALUES ('proxysql1',6032,0,'proxysql1'),('proxysql2',6032,0,'proxysql2')", sql);
    }

    [Fact]
    public void RenderAdminSql_SingleRouter_StillClearsStalePeers()
    {
        var sql = ProxySqlRenderer.RenderAdminSql(Topologies.Seed, Secrets);

        Assert.Contains("DELETE FROM proxysql_servers", sql);
        Assert.DoesNotContain(sql, s => s.StartsWith("INSERT INTO proxysql_servers", StringComparison.Ordinal));
    }

    [Fact]
    public void RenderAdminSql_QuotesInValues_AreDoubledAndBackslashesKept()
    {
        var spec = WithRule(new QueryRuleSpec { Id = 7, MatchDigest = "^SELECT \\d FROM t WHERE a = 'x'", Destination = "writer", Comment = "it's" });

        var sql = ProxySqlRenderer.RenderAdminSql(spec, Secrets with { AppPassword = "p'w" });

        Assert.Contains(sql, s => s.Contains("(7,1,NULL,NULL,0,'^SELECT \\d FROM t WHERE a = ''x''',NULL,0,NULL,10,0,'it''s')", StringComparison.Ordinal));
        Assert.Contains(sql, s => s.Contains("('app','p''w',1,10,'blog',1)", StringComparison.Ordinal));
    }

    [Fact]
    public void RenderAdminSql_ChainingRuleWithoutDestination_InsertsNullHostgroup()
    {
        var spec = WithRule(new QueryRuleSpec { Id = 1, Username = "app", FlagOut = 2, MatchDigest = "." });

        var sql = ProxySqlRenderer.RenderAdminSql(spec, Secrets);

        Assert.Contains(sql, s => s.Contains("(1,1,'app',NULL,0,'.',NULL,0,2,NULL,0,NULL)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(DatabaseFlavor.MariaDb, "10.11", "10.11.0-MariaDB")]
    [InlineData(DatabaseFlavor.MariaDb, "10.11.6", "10.11.6-MariaDB")]
    [InlineData(DatabaseFlavor.MySql, "8.0", "8.0.0")]
    [InlineData(DatabaseFlavor.MySql, "8.4.2", "8.4.2")]
    public void ServerVersion_NamesTheBackendToClients(DatabaseFlavor flavor, string version, string expected) =>
        Assert.Equal(expected, ProxySqlRenderer.ServerVersion(new DatabaseSpec { Flavor = flavor, Version = version }));

    [Fact]
    public void SqlQuote_Null_IsTheNullKeyword() => Assert.Equal("NULL", SqlText.Quote(null));

    [Fact]
    public void RenderAdminSql_NoRouter_IsRefused() =>
        Assert.Throws<ArgumentException>(() => ProxySqlRenderer.RenderAdminSql(Topologies.Variant("no-router"), Secrets));

    private static TopologySpec WithRule(QueryRuleSpec rule) =>
        Topologies.Seed with { SqlRouter = Topologies.Seed.SqlRouter! with { QueryRules = [rule] } };
}
