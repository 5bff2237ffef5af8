namespace ProcWatch.Events;

/// <summary>
/// The symbolic names (asm-generic/errno-base.h, errno.h) and messages of the errors an exec
/// can fail with, for <c>error.code</c> and <c>error.message</c>. Any other number is named
/// "E" + its value: it is still reported, as the number it is.
/// </summary>
internal static class ErrnoNames
{
    public static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        4 => "EINTR",
        5 => "EIO",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        26 => "ETXTBSY",
        36 => "ENAMETOOLONG",
        40 => "ELOOP",
        79 => "ELIBACC",
        80 => "ELIBBAD",
        _ => "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Message(int errno) => errno switch
    {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        4 => "Interrupted system call",
        5 => "Input/output error",
        7 => "Argument list too long",
        8 => "Exec format error",
        9 => "Bad file descriptor",
        11 => "Resource temporarily unavailable",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        14 => "Bad address",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        23 => "Too many open files in system",
        24 => "Too many open files",
        26 => "Text file busy",
        36 => "File name too long",
        40 => "Too many levels of symbolic links",
        79 => "Can not access a needed shared library",
        80 => "Accessing a corrupted shared library",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
