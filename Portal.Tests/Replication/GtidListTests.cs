using HaPortal.Core.Replication;

namespace HaPortal.Tests.Replication;

public sealed class GtidListTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("0-1-10", "0-1-10")]
    [InlineData(" 0-1-10 , 1-2-5", "0-1-10,1-2-5")]
    public void Parse_ServerText_RoundTrips(string text, string expected) =>
        Assert.Equal(expected, GtidList.Parse(text).ToString());

    [Theory]
    [InlineData("0-1")]
    [InlineData("a-1-2")]
    [InlineData("0-1-2,x")]
    public void Parse_NotAGtid_SaysWhichPart(string text) =>
        Assert.Contains("is not a MariaDB GTID", Assert.Throws<FormatException>(() => GtidList.Parse(text)).Message);

    [Theory]
    [InlineData("0-1-10", "0-1-10", 0)]
    [InlineData("0-1-11", "0-1-10", 1)]
    [InlineData("0-1-9", "0-1-10", -1)]
    [InlineData("0-2-12", "0-1-10", 1)]          // after a switchover the newer server id carries on the sequence
    [InlineData("0-1-10,1-1-3", "0-1-10", 1)]     // an extra domain is progress
    [InlineData("0-1-10,1-1-3", "0-1-11", null)]  // ahead in one domain, behind in the other: diverged
    [InlineData("", "0-1-1", -1)]
    public void CompareProgress_PerDomain(string a, string b, int? expected) =>
        Assert.Equal(expected, GtidList.Parse(a).CompareProgress(GtidList.Parse(b)));

    [Theory]
    [InlineData("0-1-10", "0-1-12", "")]                         // behind, nothing of its own
    [InlineData("0-1-10,0-3-7", "0-1-12", "0-3-7")]              // wrote on its own: errant
    [InlineData("0-1-10,0-3-7", "0-1-12,0-3-7", "")]             // the primary has it too
    [InlineData("0-1-10,0-3-8", "0-1-12,0-3-7", "0-3-8")]        // one more than the primary has
    [InlineData("0-1-10,5-3-1", "0-1-12", "5-3-1")]              // its own domain
    public void NotIn_FindsErrantTransactions(string candidateState, string primaryState, string errant) =>
        Assert.Equal(errant, string.Join(",", GtidList.Parse(candidateState).NotIn(GtidList.Parse(primaryState))));

    [Fact]
    public void TransactionsBehind_SumsOverDomains() =>
        Assert.Equal(5UL, GtidList.Parse("0-1-10,1-1-2").TransactionsBehind(GtidList.Parse("0-1-12,1-1-5")));

    [Fact]
    public void Union_KeepsHighestPerDomainAndServer() =>
        Assert.Equal("0-1-12,0-3-7", GtidList.Parse("0-1-10,0-3-7").Union(GtidList.Parse("0-1-12")).ToString());
}
