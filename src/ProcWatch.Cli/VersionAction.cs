using System.CommandLine;
using System.CommandLine.Invocation;

namespace ProcWatch.Cli;

/// <summary><c>procwatch --version</c>: the version and the commit (the stock action prints the raw informational version).</summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    public static void Attach(RootCommand root)
    {
        foreach (Option option in root.Options)
        {
            if (option is VersionOption version)
                version.Action = new VersionAction();
        }
    }

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(BuildInfo.VersionLine);
        return ExitCodes.Success;
    }
}
