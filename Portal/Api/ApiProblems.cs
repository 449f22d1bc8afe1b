using HaPortal.Core.Topology;
using HaPortal.Security;

namespace HaPortal.Api;

/// <summary>400 answers shaped one way everywhere: every problem, each with the field it belongs to.</summary>
public static class ApiProblems
{
    public sealed record Problem(string Field, string Message, string Severity = "error");

    public static IResult Invalid(IEnumerable<Problem> problems) =>
        Results.Json(new { title = "The request is not valid; nothing was changed.", problems = problems.ToArray() },
            statusCode: StatusCodes.Status400BadRequest);

    public static IResult Invalid(ValidationReport report) =>
        Invalid(report.Problems.Select(p => new Problem(p.Path, p.Message, p.Severity.ToString().ToLowerInvariant())));

    public static IResult Invalid(ChangeResult result) => Invalid(result.Problems.Select(p => new Problem(p.Field, p.Message)));

    public static IResult Invalid(string field, string message) => Invalid([new Problem(field, message)]);

    public static IEnumerable<Problem> ToProblems(ValidationReport report) =>
        report.Problems.Select(p => new Problem(p.Path, p.Message, p.Severity.ToString().ToLowerInvariant()));
}
