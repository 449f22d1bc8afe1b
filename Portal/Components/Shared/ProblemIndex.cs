using HaPortal.Core.Topology;

namespace HaPortal.Components.Shared;

/// <summary>Looks up a validation report by exact field path, for showing each message on its own field.</summary>
public sealed class ProblemIndex(ValidationReport report)
{
    public ValidationReport Report { get; } = report;

    public IEnumerable<ValidationProblem> At(string path) => Report.Problems.Where(p => p.Path == path);

    public bool HasError(string path) => At(path).Any(p => p.Severity == Severity.Error);

    /// <summary>The error messages of the field, joined; null when it has none.</summary>
    public string? ErrorText(string path) => Join(At(path).Where(p => p.Severity == Severity.Error));

    /// <summary>The high-availability warnings of the field, joined; null when it has none.</summary>
    public string? WarningText(string path) => Join(At(path).Where(p => p.Severity == Severity.Warning));

    /// <summary>CSS class that colours a field's helper line amber when it carries only a warning.</summary>
    public string FieldClass(string path) => !HasError(path) && WarningText(path) is not null ? "field-warning" : "";

    /// <summary>Number of errors at or beneath a path prefix such as <c>web</c> or <c>sqlRouter</c>.</summary>
    public int ErrorsUnder(string prefix) => Report.For(prefix).Count(p => p.Severity == Severity.Error);

    private static string? Join(IEnumerable<ValidationProblem> problems)
    {
        var text = string.Join(" ", problems.Select(p => p.Message));
        return text.Length == 0 ? null : text;
    }
}
