namespace HaPortal.Core.Topology;

public enum Severity { Error, Warning }

/// <summary>One finding about a topology: the field it belongs to (a path in the topology file) and what to do.</summary>
public sealed record ValidationProblem(string Path, string Message, Severity Severity = Severity.Error)
{
    public static ValidationProblem Warn(string path, string message) => new(path, message, Severity.Warning);

    /// <summary>The one-line form used on the command line: field path first.</summary>
    public override string ToString() => $"{Path}: {(Severity == Severity.Warning ? "warning: " : "")}{Message}";
}

/// <summary>The outcome of checking something: errors block, warnings inform.</summary>
public sealed record ValidationReport(IReadOnlyList<ValidationProblem> Problems)
{
    public static readonly ValidationReport Empty = new([]);

    public IEnumerable<ValidationProblem> Errors => Problems.Where(p => p.Severity == Severity.Error);
    public IEnumerable<ValidationProblem> Warnings => Problems.Where(p => p.Severity == Severity.Warning);
    public bool IsValid => !Errors.Any();

    /// <summary>Problems whose path is the given field or lies beneath it.</summary>
    public IEnumerable<ValidationProblem> For(string path) =>
        Problems.Where(p => p.Path == path || p.Path.StartsWith(path + ".", StringComparison.Ordinal)
                                           || p.Path.StartsWith(path + "[", StringComparison.Ordinal));
}
