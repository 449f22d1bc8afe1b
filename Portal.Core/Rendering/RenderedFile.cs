namespace HaPortal.Core.Rendering;

/// <summary>One rendered artifact: a path relative to the render root (forward slashes) and its text.</summary>
public sealed record RenderedFile(string Path, string Content);
