namespace ProcWatch.Interop;

/// <summary>Native imports, one nested class per library, one file per concern (as dotnet/runtime does).</summary>
internal static partial class Libc
{
    internal const string Name = "libc";
}
