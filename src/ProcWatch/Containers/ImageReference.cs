namespace ProcWatch.Containers;

/// <summary>Splits an image reference ("registry:5000/repo/name:tag@sha256:...") into name and tag.</summary>
internal static class ImageReference
{
    public static (string? Name, string? Tag) Split(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
            return (null, null);
        string name = reference;
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
            name = name[..at];
        // A ':' after the last '/' is the tag's; before it, a registry's port.
        int slash = name.LastIndexOf('/');
        int colon = name.LastIndexOf(':');
        if (colon > slash && !name.StartsWith("sha256:", StringComparison.Ordinal))
            return (name[..colon], name[(colon + 1)..]);
        return (name, null);
    }
}
