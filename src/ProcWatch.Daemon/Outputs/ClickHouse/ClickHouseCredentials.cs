using ProcWatch.Watching;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The user and password: user from the configuration or PROCWATCH_CLICKHOUSE_USER,
/// password from password_file (its first line) or PROCWATCH_CLICKHOUSE_PASSWORD. Never
/// from argv, where every user of the machine could read it.
/// </summary>
internal static class ClickHouseCredentials
{
    /// <exception cref="ProcWatchException">The password file cannot be read.</exception>
    public static (string? User, string? Password) Resolve(ClickHouseSettings settings)
    {
        string? user = settings.User ?? NonEmpty(Environment.GetEnvironmentVariable(ClickHouseSettings.UserVariable));
        string? password;
        if (settings.PasswordFile is { } file)
        {
            try
            {
                using var reader = new StreamReader(file);
                password = reader.ReadLine() ?? "";
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
