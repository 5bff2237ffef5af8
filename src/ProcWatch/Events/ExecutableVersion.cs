namespace ProcWatch.Events;

/// <summary>
/// One version of an executable file, as the kernel saw its inode at exec: the device (kernel
/// encoding: major &lt;&lt; 20 | minor), inode number, size, and modification and change times
/// (ns). Any write changes mtime, any chmod/chown/rename changes ctime, so a new version is
/// a new key and is hashed again. Times are 0 on kernels before 6.11.
/// </summary>
internal readonly record struct ExecutableVersion(uint Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)
{
    public uint DeviceMajor => Device >> 20;
    public uint DeviceMinor => Device & 0xfffff;
}
