using ProcWatch.Watching;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The user and password: user from the configuration or PROCWATCH_CLICKHOUSE_USER,
/// password from password_file (its first line) or PROCWATCH_CLICKHOUSE_PASSWORD. Never
/// from argv, where every user of the machine could read it.
/// </summary>
internal static class ClickHouseCredentials
{
    /// <param name="report">Told (one line) when the password file is readable by group or others.</param>
    /// <exception cref="ProcWatchException">The password file cannot be read.</exception>
    public static (string? User, string? Password) Resolve(ClickHouseSettings settings, Action<string> report)
    {
        string? user = settings.User ?? NonEmpty(Environment.GetEnvironmentVariable(ClickHouseSettings.UserVariable));
        string? password;
        if (settings.PasswordFile is { } file)
        {
            try
            {
                using var reader = new StreamReader(file);
                password = reader.ReadLine() ?? "";
                UnixFileMode mode = File.GetUnixFileMode(file);
                const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                if ((mode & others) != 0)
                    report($"clickhouse: warning: the password file {file} is readable by group or others (mode {Convert.ToString((int)mode & 0x1FF, 8)}); chmod 600 it");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ProcWatchException(FailureKind.SystemError, $"clickhouse: cannot read the password file {file}: {ex.Message}");
            }
        }
        else
        {
            password = NonEmpty(Environment.GetEnvironmentVariable(ClickHouseSettings.PasswordVariable));
        }
        return (user, password);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
