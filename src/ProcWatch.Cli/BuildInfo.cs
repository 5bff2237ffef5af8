using System.Reflection;

namespace ProcWatch.Cli;

/// <summary>
/// The version this binary was built as and the commit it was built from, both from the
/// informational version MSBuild stamps (<c>VERSION+COMMIT</c>; Directory.Build.props and
/// Directory.Build.targets derive it from git). The .deb, the image and the NuGet packages
/// carry the same VERSION: packaging/build.sh reads it from here.
/// </summary>
internal static class BuildInfo
{
    private static readonly string Informational =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The SemVer version, e.g. <c>0.3.0-alpha.0.291.g1a2b3c4d5e</c> (a pre-release) or <c>0.3.0</c> (a tag).</summary>
    public static string Version => Informational.Split('+')[0];

    /// <summary>The full commit id, or "unknown" when built outside a git checkout.</summary>
    public static string Commit => Informational.Split('+') is [_, { Length: > 0 } commit, ..] ? commit : "unknown";

    /// <summary>What <c>procwatch --version</c> prints.</summary>
    public static string VersionLine => $"procwatch {Version} (commit {Commit})";
}
