using System.Buffers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Files;

namespace ProcWatch.Cli.Report;

/// <summary>
/// One self-contained HTML file: the page template, its style and script (our own, embedded
/// in the binary at build time) and the data as JSON in a &lt;script type="application/json"&gt;
/// element. Data never becomes markup: every string in it is escaped so that no
/// <c>&lt;/script&gt;</c> can end the element, and the page renders it with textContent. A
/// Content-Security-Policy allows only this page's own script (by hash) and no network at all.
/// </summary>
internal static class HtmlReportWriter
{
    /// <summary>The script's parts, in the order they are concatenated.</summary>
    private static readonly string[] ScriptParts =
        ["report-data.js", "report-format.js", "report-list.js", "report-timeline.js", "report-tree.js", "report-table.js", "report-summary.js", "report-app.js"];

    public static void Write(ReportModel model, Stream output, DateTimeOffset generatedAt)
    {
        string template = Resource("report.html");
        string style = Resource("report.css");
        var script = new StringBuilder("(function () {\n'use strict';\n");
        foreach (string part in ScriptParts)
            script.Append(Resource(part)).Append('\n');
        script.Append("})();\n");
        string scriptText = script.ToString();
        string hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(scriptText)));

        string page = template
            .Replace("<!--CSP-->", $"default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; img-src data:", StringComparison.Ordinal)
            .Replace("<!--STYLE-->", style, StringComparison.Ordinal);
        int dataAt = page.IndexOf("<!--DATA-->", StringComparison.Ordinal);
        string head = page[..dataAt];
        // The script goes in after the data marker is found: its text could contain the marker.
        string tail = page[(dataAt + "<!--DATA-->".Length)..].Replace("<!--SCRIPT-->", scriptText, StringComparison.Ordinal);

        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        buffer.Write(Encoding.UTF8.GetBytes(head));
        ReportDataWriter.Write(model, buffer, generatedAt);
        buffer.Write(Encoding.UTF8.GetBytes(tail));
        output.Write(buffer.WrittenSpan);
    }

    /// <summary>Writes the report to <paramref name="path"/> (through a temporary file: never half a report); returns its size.</summary>
    public static long WriteFile(ReportModel model, string path, DateTimeOffset generatedAt)
    {
        // A random name created exclusively (O_EXCL|O_NOFOLLOW: never a planted link, never
        // someone else's file), 0600 like every other output (argv can hold secrets), in the
        // directory held open, then renamed over the name (a link there is replaced, not followed).
        SafeDirectory directory;
        string name;
        try
        {
            (string parent, name) = PrivateFile.Split(path);
            directory = SafeDirectory.Open(parent, DirectoryTrust.AnyOwner, create: false, forPath: Path.GetFullPath(path));
        }
        catch (IOException ex) when (ex is not UnsafeFileException)
        {
            throw new OutputException($"cannot write report {path}: {ex.Message}");
        }
        using (directory)
        {
            string temp = $".{name}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}.tmp";
            try
            {
                long size;
                using (var file = new FileStream(new SafeFileHandle(directory.CreateNew(temp), ownsHandle: true), FileAccess.Write, 1))
                {
                    Write(model, file, generatedAt);
                    file.Flush();
                    size = file.Length;
                }
                directory.Rename(temp, name);
                return size;
            }
            catch (IOException ex) when (ex is not UnsafeFileException)
            {
                try { directory.Delete(temp); } catch (IOException) { }
                throw new OutputException($"cannot write report {path}: {ex.Message}");
            }
        }
    }

    private static string Resource(string name)
    {
        using Stream? stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ProcWatch.Report." + name);
        if (stream is null)
            throw new InvalidOperationException($"report resource {name} missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
