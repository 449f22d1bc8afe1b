using HaPortal.Tests.Infrastructure;

namespace HaPortal.Tests.WebNode;

/// <summary>The web-node tests share one MariaDB primary/replica pair and one browser.</summary>
[CollectionDefinition(Name)]
public sealed class WebNodeCollection : ICollectionFixture<MariaDbPairFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "webnode";
}
