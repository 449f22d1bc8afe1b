namespace HaPortal.Components;

public static partial class Routes
{
    /// <summary>ProxySQL query rules: table in evaluation order, editor, test bench, dry run, drift.</summary>
    public const string ProxySqlRules = "/proxysql/rules";
}
