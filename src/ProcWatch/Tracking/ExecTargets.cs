namespace ProcWatch.Tracking;

/// <summary>
/// Which file an exec really runs when its executable is a loader or an interpreter, read
/// from argv the way the program itself reads it: the dynamic loader run directly
/// (<c>ld-linux-x86-64.so.2 [OPTIONS] PROGRAM</c>), or an interpreter with a script argument
/// (sh/bash/dash/zsh/ksh, python*, perl, ruby, node, php, <c>java -jar</c>) or with inline
/// code. Pure text: no file is opened here.
/// </summary>
internal static class ExecTargets
{
    /// <summary>The interpreter family a program name belongs to; None for anything else.</summary>
    internal enum Family : byte { None, Loader, Shell, Python, Perl, Ruby, Node, Php, Java }

    internal static Family FamilyOf(ReadOnlySpan<char> executable)
    {
        int slash = executable.LastIndexOf('/');
        ReadOnlySpan<char> name = slash >= 0 ? executable[(slash + 1)..] : executable;
        if (name.StartsWith("ld-linux") || name.StartsWith("ld-musl-") || name.SequenceEqual("ld.so"))
            return Family.Loader;
        if (name is "sh" or "bash" or "dash" or "zsh" or "ksh" or "mksh" or "ash" or "rbash")
            return Family.Shell;
        if (name.StartsWith("python") && IsVersionTail(name["python".Length..]))
            return Family.Python;
        if (name.StartsWith("perl") && IsVersionTail(name["perl".Length..]))
            return Family.Perl;
        if (name.StartsWith("ruby") && IsVersionTail(name["ruby".Length..]))
            return Family.Ruby;
        if (name is "node" or "nodejs")
            return Family.Node;
        if (name.StartsWith("php") && IsVersionTail(name["php".Length..]))
            return Family.Php;
        if (name is "java")
            return Family.Java;
        return Family.None;
    }

    // "", "3", "3.11", "5.36.0": a versioned name of the same interpreter (python3-config is not).
    private static bool IsVersionTail(ReadOnlySpan<char> tail)
    {
        foreach (char c in tail)
        {
            if (c is not ((>= '0' and <= '9') or '.'))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The program argument of a direct loader run: the first argument that is not one of the
    /// loader's options (glibc's rtld options, those taking a value skipped with it); null for
    /// <c>--list</c>-style runs without one.
    /// </summary>
    internal static string? LoaderProgram(IReadOnlyList<string> args)
    {
        for (int i = 1; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--")
                return i + 1 < args.Count ? args[i + 1] : null;
            if (!a.StartsWith("--", StringComparison.Ordinal))
                return a;
            if (a is "--library-path" or "--preload" or "--audit" or "--argv0" or "--inhibit-rpath"
                or "--glibc-hwcaps-prepend" or "--glibc-hwcaps-mask")
                i++; // its value
        }
        return null;
    }

    /// <summary>
    /// The script an interpreter was given: a path argument (<paramref name="inline"/> false),
    /// inline code (<paramref name="inline"/> true, null path), or nothing (stdin, a module, a
    /// class name, a bare interpreter).
    /// </summary>
    internal static string? ScriptArgument(Family family, IReadOnlyList<string> args, out bool inline)
    {
        inline = false;
        for (int i = 1; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--")
                return family == Family.Java || i + 1 >= args.Count ? null : args[i + 1];
            if (a == "-")
                return null; // the program comes on stdin
            bool option = a.Length > 1 && (a[0] == '-' || (family == Family.Shell && a[0] == '+'));
            if (!option)
                return family == Family.Java ? null : a; // java's first plain argument is a class name
            switch (family)
            {
                case Family.Shell:
                    if (a.StartsWith("--", StringComparison.Ordinal))
                    {
                        if (a is "--rcfile" or "--init-file") i++;
                        continue;
                    }
                    if (a.AsSpan(1).Contains('c')) { inline = true; return null; }
                    if (a.AsSpan(1).Contains('s')) return null; // commands from stdin
                    if (a.AsSpan(1).Contains('o') || a.AsSpan(1).Contains('O')) i++; // -o option / shopt name
                    continue;
                case Family.Python:
                    if (a.StartsWith("--", StringComparison.Ordinal))
                    {
                        if (a == "--check-hash-based-pycs") i++;
                        continue;
                    }
                    for (int k = 1; k < a.Length; k++)
                    {
                        char c = a[k];
                        if (c == 'c') { inline = true; return null; }
                        if (c == 'm') return null; // a module, not a file
                        if (c is 'W' or 'X')
                        {
                            if (k == a.Length - 1) i++; // value in the next argument
                            break;
                        }
                    }
                    continue;
                case Family.Perl:
                case Family.Ruby:
                    for (int k = 1; k < a.Length; k++)
                    {
                        char c = a[k];
                        if (c is 'e' or 'E') { inline = true; return null; }
                        if (c is 'I' or 'r' or 'C' or 'M' or 'm' or 'x' or '0' or 'i' or 'l' or 'F' or 'd')
                        {
                            if (k == a.Length - 1 && c is 'I' or 'r' or 'C') i++; // value in the next argument
                            break; // the rest of this argument is the option's value
                        }
                    }
                    continue;
                case Family.Node:
                    if (a is "-e" or "--eval" or "-p" or "--print" || a.StartsWith("--eval=", StringComparison.Ordinal)) { inline = true; return null; }
                    if (a is "-r" or "--require" or "--import" or "--loader" or "--experimental-loader" or "--env-file" or "--title" or "-C" or "--conditions") i++;
                    continue;
                case Family.Php:
                    if (a == "-r") { inline = true; return null; }
                    if (a == "-f") return i + 1 < args.Count ? args[i + 1] : null;
                    if (a is "-c" or "-d" or "-z" or "-t") i++;
                    continue;
                case Family.Java:
                    if (a == "-jar") return i + 1 < args.Count ? args[i + 1] : null;
                    if (a is "-cp" or "-classpath" or "--class-path" or "-p" or "--module-path" or "-m" or "--module" or "--add-modules") i++;
                    if (a is "-m" or "--module") return null;
                    continue;
            }
        }
        return null;
    }

    /// <summary>
    /// A path as the process opens it: absolute as given, else joined to its working directory
    /// (a leading "./" dropped); null when relative and the working directory is unknown.
    /// </summary>
    internal static string? Resolve(string path, string? workingDirectory)
    {
        if (path.Length == 0)
            return null;
        if (path[0] == '/')
            return path;
        if (workingDirectory is null)
            return null;
        ReadOnlySpan<char> rest = path;
        while (rest.StartsWith("./"))
            rest = rest[2..].TrimStart('/');
        return workingDirectory.EndsWith('/') ? string.Concat(workingDirectory, rest) : string.Concat(workingDirectory, "/", rest);
    }
}
