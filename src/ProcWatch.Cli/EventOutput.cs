using System.Buffers;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Files;

namespace ProcWatch.Cli;

/// <summary>
/// Where formatted events go: stdout or an appended file. Text accumulates in one reused
/// buffer and is written when the caller flushes (after each pass over the queued events, so
/// output is line-buffered whenever the stream is quiet) or, between whole events, once the
/// buffer holds <see cref="FullBytes"/> (a long pass is written in pieces of about 64 KiB
/// instead of growing the buffer to the whole backlog). A closed pipe (EPIPE) makes
/// <see cref="IsClosed"/> true; other write failures surface as <see cref="OutputException"/>.
/// </summary>
internal sealed class EventOutput : IDisposable
{
    private const int EPIPE = 32;
    private const int ENOSPC = 28;
    /// <summary>Written at the next event boundary once this much is buffered: one event (~1.7 KB) more stays within the 64 KiB buffer.</summary>
    internal const int FullBytes = 60 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Stream _stream;

    private EventOutput(Stream stream, string name, int fd)
    {
        _stream = stream;
        Name = name;
        CanStall = !(Files.FileStatus.TryOf(fd, out Files.FileStatus status) && status.IsRegular);
    }

    public string Name { get; }

    /// <summary>
    /// A pipe, socket or terminal can stop taking data for good (nobody reads it); a regular
    /// file cannot: a slow disk is still written, and is never called "not being read".
    /// </summary>
    public bool CanStall { get; }

    public bool IsClosed { get; private set; }

    private volatile bool _abandoned;

    public IBufferWriter<byte> Buffer => _buffer;

    public static EventOutput Stdout() =>
        new(DescriptorStream.Stdout(), "standard output", 1);

    public static EventOutput AppendTo(string path)
    {
        try
        {
            DescriptorStream file = DescriptorStream.Append(path);
            return new EventOutput(file, path, file.Fd);
        }
        catch (IOException ex) when (ex is not UnsafeFileException) // that one is its own line and exit code
        {
            throw new OutputException($"cannot open output file {path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(ex.HResult)}");
        }
    }

    /// <summary>A new file (a temporary): refused when anything already has the name.</summary>
    public static EventOutput CreateNew(string path)
    {
        try
        {
            DescriptorStream file = DescriptorStream.CreateNew(path);
            return new EventOutput(file, path, file.Fd);
        }
        catch (IOException ex) when (ex is not UnsafeFileException)
        {
            throw new OutputException($"cannot create {path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(ex.HResult)}");
        }
    }

    /// <summary>Between two events: writes when the buffer is full (<see cref="FullBytes"/>), else nothing.</summary>
    public void FlushIfFull()
    {
        if (_buffer.WrittenCount >= FullBytes)
            Flush();
    }

    public void Flush()
    {
        if (_buffer.WrittenCount == 0 || IsClosed)
        {
            _buffer.ResetWrittenCount();
            return;
        }
        try
        {
            _stream.Write(_buffer.WrittenSpan);
        }
        catch (IOException ex) when (ex.HResult == EPIPE)
        {
            IsClosed = true; // `| head` is done with us: end quietly
        }
        catch (IOException ex)
        {
            throw new OutputException(ex.HResult == ENOSPC
                ? $"cannot write to {Name}: no space left on device"
                : $"cannot write to {Name}: {ex.Message}");
        }
        finally
        {
            _buffer.ResetWrittenCount();
        }
    }

    /// <summary>
    /// Gives the output up while another thread may still be blocked writing to it (nobody
    /// reads it): nothing more is written or flushed, and disposing leaves it alone.
    /// </summary>
    public void Abandon()
    {
        _abandoned = true;
        IsClosed = true;
    }

    public void Dispose()
    {
        if (_abandoned)
            return;
        try { Flush(); }
        catch (OutputException) { /* already reported by the last flush */ }
        _stream.Dispose();
    }
}

/// <summary>Writing events failed (disk full, I/O error); the message is one line for the user.</summary>
internal sealed class OutputException : Exception
{
    public OutputException(string message) : base(message) { }
    public OutputException() { }
    public OutputException(string message, Exception inner) : base(message, inner) { }
}
