namespace ProcWatch.Kernel.ProcScan;

/// <summary>How /proc hides other users' processes (the hidepid= mount option, proc(5)).</summary>
internal enum HidePid
{
    /// <summary>hidepid=0 (off): everything visible.</summary>
    Off,
    /// <summary>hidepid=1 (noaccess): other users' /proc/PID are listed but unreadable.</summary>
    NoAccess,
    /// <summary>hidepid=2 (invisible): other users' /proc/PID are not even listed.</summary>
    Invisible,
    /// <summary>hidepid=4 (ptraceable): only processes this user may ptrace are listed.</summary>
    Ptraceable,
}

/// <summary>The hidepid setting of the /proc mount and what it means for scanning.</summary>
internal readonly record struct HidePidSetting(HidePid Mode, string Option)
{
    /// <summary>One line for the user.</summary>
    public string Describe() => Mode switch
    {
        HidePid.NoAccess => $"/proc is mounted with {Option}: other users' processes are listed but unreadable (no argv, no events but their existence)",
        HidePid.Invisible => $"/proc is mounted with {Option}: other users' processes are invisible to the procfs backend",
        _ => $"/proc is mounted with {Option}: only processes this user may ptrace are visible to the procfs backend",
    };
}

/// <summary>Reads the mount options of /proc from /proc/self/mountinfo (proc_pid_mountinfo(5)).</summary>
internal static class ProcMounts
{
    /// <summary>The hidepid setting of the /proc mount, or null when nothing is hidden (or unknown).</summary>
    public static HidePidSetting? FindHidePid(string mountInfoPath = "/proc/self/mountinfo")
    {
        string text;
        try
        {
            text = File.ReadAllText(mountInfoPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ParseHidePid(text);
    }

    /// <summary>The last mount on /proc wins (it hides those below it).</summary>
    internal static HidePidSetting? ParseHidePid(string mountInfo)
    {
        HidePidSetting? result = null;
        bool found = false;
        foreach (string line in mountInfo.Split('\n'))
        {
            // "22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw,hidepid=2"
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || fields[4] != "/proc" || separator < 0 || separator + 3 >= fields.Length
                || fields[separator + 1] != "proc")
                continue;
            found = true;
            result = null;
            foreach (string option in fields[separator + 3].Split(','))
            {
                if (!option.StartsWith("hidepid=", StringComparison.Ordinal))
                    continue;
                HidePid mode = option[8..] switch
                {
                    "1" or "noaccess" => HidePid.NoAccess,
                    "2" or "invisible" => HidePid.Invisible,
                    "4" or "ptraceable" => HidePid.Ptraceable,
                    _ => HidePid.Off,
                };
                result = mode == HidePid.Off ? null : new HidePidSetting(mode, option);
            }
        }
        return found ? result : null;
    }
}
