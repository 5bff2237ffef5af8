using System.CommandLine;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Daemon.Hosting;

namespace ProcWatch.Cli.Daemon;

/// <summary><c>procwatch daemon [--config FILE] [--check-config]</c>: the long-running service.</summary>
internal static class DaemonCommand
{
    private static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "YAML configuration (default: the built-in one: exec and exit to /var/log/procwatch/events.json)",
        HelpName = "FILE",
    };

    private static readonly Option<bool> CheckConfig = new("--check-config")
    {
        Description = "Validate the configuration, print a summary, and exit (0 valid, 6 invalid)",
    };

    public static Command Build()
    {
        var command = new Command("daemon", "Record every launch, raise alerts and respond, as a service (see docs/daemon.md)")
        {
            Config,
            CheckConfig,
        };
        SubcommandHelp.Attach(command);
        command.SetAction((result, token) => RunAsync(result.GetValue(Config), result.GetValue(CheckConfig), token));
        return command;
    }

    private static async Task<int> RunAsync(string? configPath, bool check, CancellationToken cancellationToken)
    {
        DaemonConfig config = configPath is null ? DefaultConfig.Load() : ConfigLoader.Load(configPath);
        if (check)
        {
            // Counted as the daemon counts them ("ready: ... N rule(s)"): own rules and the Sigma rules that load.
            int rules;
            try
            {
                rules = new RuleSet(config.Rules, config.Sigma, config.SigmaFilters).Rules.Length;
            }
            catch (ProcWatch.Sigma.Loading.SigmaPathException ex)
            {
                throw new ConfigException(config.Source, 0, ex.Message);
            }
            await Console.Out.WriteLineAsync(
                $"procwatch: {config.Source}: valid ({config.Outputs.Count} output(s), {rules} rule(s))").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        return await DaemonHost.RunAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
