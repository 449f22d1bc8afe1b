using HaPortal.Core.Blog;
using HaPortal.WebNode.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;

namespace HaPortal.WebNode;

/// <summary>
/// The demo blog and session inspector as minimal-API endpoints returning static-SSR Razor components. No @page
/// routes: the admin host's MapRazorComponents owns those, and the web node must not serve admin pages.
/// </summary>
public static class DemoSite
{
    public const int PageSize = 10;

    public static IEndpointRouteBuilder MapDemoSite(this IEndpointRouteBuilder endpoints)
    {
        var site = endpoints.MapGroup("").AddEndpointFilter(ShowUnavailablePlainly);

        site.MapGet(DemoUrls.Home, async (HttpContext http, IBlogStore store, NodeIdentity node, ReadYourWrites ryw, int? page, string? q) =>
        {
            var answered = await store.ListAsync(page ?? 1, PageSize, q, await PreferenceAsync(http, ryw), http.RequestAborted);
            var provenance = await ProvenanceAsync(http, node, answered.Server);
            return Page<HomePage>(new { Data = answered.Value, Provenance = provenance });
        });

        site.MapGet("/posts/{id:long}", async (long id, HttpContext http, IBlogStore store, NodeIdentity node, IAntiforgery antiforgery, ReadYourWrites ryw) =>
        {
            var answered = await store.GetAsync(id, await PreferenceAsync(http, ryw), http.RequestAborted);
            if (answered is null) return NotFound(await ProvenanceAsync(http, node, null));
            var provenance = await ProvenanceAsync(http, node, answered.Server, answered.Value);
            return Page<PostView>(new { Post = answered.Value, Provenance = provenance, Token = TokenFor(http, antiforgery) });
        });

        // Form fields as simple parameters: endpoints with them are generated at build time, with a bound object at run
        // time (each web node compiling them as it boots).
        site.MapPost("/posts/{id:long}/comments", async (long id, [FromForm] string? author, [FromForm] string? body, HttpContext http,
            IBlogStore store, NodeIdentity node, IAntiforgery antiforgery, ILogger<NodeIdentity> logger) =>
        {
            var comment = new NewComment(id, author ?? "", body ?? "");
            var errors = BlogValidation.Validate(comment);
            if (errors.Count > 0)
            {
                var answered = await store.GetAsync(id, ReadPreference.Any, http.RequestAborted);
                if (answered is null) return NotFound(await ProvenanceAsync(http, node, null));
                var provenance = await ProvenanceAsync(http, node, answered.Server);
                return Page<PostView>(new { Post = answered.Value, Provenance = provenance, Token = TokenFor(http, antiforgery),
                    Form = new CommentForm { Author = author, Body = body }, Errors = errors }, StatusCodes.Status422UnprocessableEntity);
            }
            var receipt = await store.AddCommentAsync(comment, http.RequestAborted);
            if (receipt is null) return NotFound(await ProvenanceAsync(http, node, null));
            WebNodeLog.Wrote(logger, "comment", receipt.Id, receipt.Summary);
            await VisitorSession.RememberWriteAsync(http, receipt);
            return Results.Redirect($"{DemoUrls.Post(id)}#comment-{receipt.Id}");
        });

        site.MapGet(DemoUrls.Write, async (HttpContext http, NodeIdentity node, IAntiforgery antiforgery) =>
            Page<WritePage>(new { Provenance = await ProvenanceAsync(http, node, null), Token = TokenFor(http, antiforgery) }));

        site.MapPost(DemoUrls.Posts, async ([FromForm] string? title, [FromForm] string? author, [FromForm] string? body, HttpContext http,
            IBlogStore store, NodeIdentity node, IAntiforgery antiforgery, ILogger<NodeIdentity> logger) =>
        {
            var post = new NewPost(title ?? "", body ?? "", author ?? "");
            var errors = BlogValidation.Validate(post);
            if (errors.Count > 0)
                return Page<WritePage>(new { Provenance = await ProvenanceAsync(http, node, null), Token = TokenFor(http, antiforgery),
                    Form = new PostForm { Title = title, Author = author, Body = body }, Errors = errors }, StatusCodes.Status422UnprocessableEntity);
            var receipt = await store.AddPostAsync(post, http.RequestAborted);
            WebNodeLog.Wrote(logger, "post", receipt.Id, receipt.Summary);
            await VisitorSession.RememberWriteAsync(http, receipt);
            return Results.Redirect(DemoUrls.Post(receipt.Id));
        });

        site.MapGet(DemoUrls.Session, async (HttpContext http, NodeIdentity node, TimeProvider time) =>
        {
            var (visits, firstSeen) = await VisitorSession.CountVisitAsync(http, time);
            var snapshot = SessionSnapshot.From(http, node.Name, visits, firstSeen);
            http.Response.Headers.CacheControl = "no-store";
            return Page<SessionPage>(new { Snapshot = snapshot, Provenance = await ProvenanceAsync(http, node, null) });
        });

        // For the 50-request tool: tiny, uncached, no session work.
        site.MapGet(DemoUrls.WhoAmI, (HttpContext http, NodeIdentity node) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(new { node = node.Name, address = NodeIdentity.AddressOf(http) });
        });

        return endpoints;
    }

    /// <summary>The visitor's reads go to the primary for a while after their own write (read-your-writes), else anywhere.</summary>
    private static async Task<ReadPreference> PreferenceAsync(HttpContext http, ReadYourWrites ryw) =>
        ryw.Window == TimeSpan.Zero ? ReadPreference.Any : ryw.For((await VisitorSession.LastWriteAsync(http))?.At);

    private static IResult Page<T>(object parameters, int status = StatusCodes.Status200OK) where T : Microsoft.AspNetCore.Components.IComponent =>
        new RazorComponentResult<T>(parameters) { StatusCode = status };

    private static IResult NotFound(PageProvenance provenance) =>
        new RazorComponentResult<MessagePage>(new { Heading = "Not found", Text = "There is no such post. It may not have reached this database server yet, or it never existed.", Provenance = provenance })
        { StatusCode = StatusCodes.Status404NotFound };

    private static FormToken TokenFor(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new FormToken(tokens.FormFieldName, tokens.RequestToken!);
    }

    private static async Task<PageProvenance> ProvenanceAsync(HttpContext http, NodeIdentity node, DbServer? readFrom, Post? post = null)
    {
        var lastWrite = await VisitorSession.LastWriteAsync(http);
        bool? visibleHere = post is null || lastWrite is null || lastWrite.PostId != post.Id ? null
            : lastWrite.Kind == WriteKind.Post || post.Comments.Any(c => c.Id == lastWrite.Id);
        return new PageProvenance(node.Name, NodeIdentity.AddressOf(http), readFrom, lastWrite) { LastWriteVisibleHere = visibleHere };
    }

    // A failover that outlasts the retries, or a database that refuses us, shows as a plain sentence and a 503.
    private static async ValueTask<object?> ShowUnavailablePlainly(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is DatabaseUnavailableException or MySqlException)
        {
            var http = context.HttpContext;
            var reason = e is DatabaseUnavailableException u ? u.Reason : TransientRetry.Describe(e);
            var logger = http.RequestServices.GetRequiredService<ILogger<NodeIdentity>>();
            WebNodeLog.Unavailable(logger, http.Request.Path, reason);
            var node = http.RequestServices.GetRequiredService<NodeIdentity>();
            var provenance = new PageProvenance(node.Name, NodeIdentity.AddressOf(http), null, null);
            return new RazorComponentResult<MessagePage>(new
            {
                Heading = "The database is unavailable",
                Text = $"This page could not be loaded because {reason}. The stack may be failing over; please try again in a few seconds.",
                Provenance = provenance,
            })
            { StatusCode = StatusCodes.Status503ServiceUnavailable };
        }
    }
}
