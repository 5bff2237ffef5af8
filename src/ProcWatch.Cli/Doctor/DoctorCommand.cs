using System.CommandLine;

namespace ProcWatch.Cli.Doctor;

/// <summary>
/// <c>procwatch doctor [--json]</c>: what this host gives ProcWatch and, for what it does
/// not, why. Exit 0 when <c>--backend auto</c> gets the best backend (connector + eBPF),
/// 3 when more privilege would get it, 4 when the host lacks a mechanism.
/// </summary>
internal static class DoctorCommand
{
    private static readonly Option<bool> Json = new("--json")
    {
        Description = "One JSON object (fleet inventory) instead of the text screen",
    };

    public static Command Build()
    {
        var command = new Command("doctor", "Say what this host gives ProcWatch (connector, eBPF, cgroups, namespaces, container runtimes) and why not; exit 0 when the best backend works")
        {
            Json, CliOptions.ContainerRuntime,
        };
        command.SetAction((result, token) => RunAsync(result.GetValue(Json), ContainerArguments.ParseRuntimes(result.GetValue(CliOptions.ContainerRuntime) ?? []), token));
        return command;
    }

    private static async Task<int> RunAsync(bool json, Containers.ContainerOptions containers, CancellationToken cancellationToken)
    {
        HostReport report = HostChecks.Collect(containers);
        int code = ExitCode(report.Auto);
        using Stream stdout = Console.OpenStandardOutput();
        if (json)
            await stdout.WriteAsync(DoctorJson.Format(report, code), cancellationToken).ConfigureAwait(false);
        else
            await stdout.WriteAsync(System.Text.Encoding.UTF8.GetBytes(DoctorText.Format(report, code)), cancellationToken).ConfigureAwait(false);
        return code;
    }

    internal static int ExitCode(AutoBackendFinding auto) => auto.Missing switch
    {
        _ when auto.IsBest => ExitCodes.Success,
        Missing.Privilege => ExitCodes.NoPrivilege,
        _ => ExitCodes.Unsupported,
    };
}
