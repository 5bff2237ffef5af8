using System.Buffers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

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
        string full = Path.GetFullPath(path);
        // A random name created exclusively (O_EXCL: never follows a planted symlink, never
        // truncates someone else's file), rw-r----- like every other output: argv can hold secrets.
        string temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
            };
            using (var file = new FileStream(temp, options))
                Write(model, file, generatedAt);
            File.Move(temp, full, overwrite: true);
            return new FileInfo(full).Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            // The user's path, never the temporary name (which .NET's messages quote).
            string why = ex switch
            {
                DirectoryNotFoundException => $"no such directory {Path.GetDirectoryName(full)}",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message.Replace(temp, full, StringComparison.Ordinal),
            };
            throw new OutputException($"cannot write report {path}: {why}");
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
