using System.Globalization;
using System.Text.RegularExpressions;
using ProcWatch.Tests.Helpers;

namespace ProcWatch.Tests.Kernel.Enforcement;

/// <summary>What deny_storm.c saw: how many of its execs ran, failed with EPERM, or died of SIGKILL.</summary>
internal sealed partial record DenyStormResult(int Ran, int Eperm, int Killed, int Other, string Line)
{
    public static DenyStormResult Run(int attempts, params string[] paths)
    {
        string helper = NativeHelpers.Build("deny_storm.c");
        (int code, string output) = NativeHelpers.Run(helper, attempts.ToString(CultureInfo.InvariantCulture) + " " + string.Join(' ', paths));
        Match m = Summary().Match(output);
        if (code != 0 || !m.Success)
            throw new InvalidOperationException($"deny_storm failed ({code}): {output}");
        int N(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        return new DenyStormResult(N("ran"), N("eperm"), N("killed"), N("other"), output.Trim());
    }

    [GeneratedRegex(@"ran=(?<ran>\d+) eperm=(?<eperm>\d+) killed=(?<killed>\d+) other=(?<other>\d+)")]
    private static partial Regex Summary();
}
