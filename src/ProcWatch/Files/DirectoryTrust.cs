namespace ProcWatch.Files;

/// <summary>How far a directory ProcWatch writes in must be trusted (checked on the directory itself; every directory above it is only reached through symbolic links owned by root or by us).</summary>
internal enum DirectoryTrust
{
    /// <summary>Anyone's (the CLI's <c>-o ~/events.json</c> under sudo): only the files in it are checked.</summary>
    AnyOwner,
    /// <summary>Root's or ours, and writable by others only with the sticky bit (like /tmp): nobody else can rename or replace what we put in it.</summary>
    RootOrOurs,
    /// <summary>Ours, and not writable by group or others (0700, 0750): the spool.</summary>
    Private,
}
