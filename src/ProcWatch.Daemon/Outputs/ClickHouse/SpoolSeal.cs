using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcWatch.Files;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// The spool's integrity check: every batch file ends with HMAC-SHA256(key, file name + body),
/// the key being 32 random bytes in <c>spool.key</c> (0600) inside the spool directory itself,
/// which must be the daemon's own and not writable by others: the key is exactly as protected
/// as the batches it vouches for, and moves with them. A batch someone else wrote (or changed,
/// or renamed to claim other rows) fails the check and is never sent.
/// </summary>
internal sealed class SpoolSeal
{
    public const string KeyName = "spool.key";
    public const int TagBytes = 32;
    private const int KeyBytes = 32;
    private readonly byte[] _key;

    private SpoolSeal(byte[] key) => _key = key;

    /// <summary>The key in <paramref name="directory"/>, created (whole or not at all: written aside, then renamed) the first time.</summary>
    /// <exception cref="UnsafeFileException">The key file is a link, someone else's, ...</exception>
    /// <exception cref="IOException">It cannot be read or created, or is not 32 bytes.</exception>
    public static SpoolSeal Open(SafeDirectory directory)
    {
        if (!directory.Exists(KeyName))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(KeyBytes);
            string temporary = KeyName + ".tmp";
            directory.Delete(temporary);
            using (var file = new FileStream(new SafeFileHandle(directory.CreateNew(temporary), ownsHandle: true), FileAccess.Write, 1))
            {
                file.Write(fresh);
                file.Flush(flushToDisk: true);
            }
            directory.Rename(temporary, KeyName);
            directory.Sync();
        }
        using var key = new FileStream(new SafeFileHandle(directory.OpenRead(KeyName), ownsHandle: true), FileAccess.Read, 1);
        var bytes = new byte[KeyBytes];
        if (key.Length != KeyBytes || key.ReadAtLeast(bytes, KeyBytes, throwOnEndOfStream: false) != KeyBytes)
            throw new IOException($"{directory.Combine(KeyName)} is not a {KeyBytes}-byte key (delete it to make a new one: batches sealed with the old one are then set aside)");
        return new SpoolSeal(bytes);
    }

    /// <summary>The tag of a batch stored as <paramref name="name"/>.</summary>
    public void Compute(string name, ReadOnlySpan<byte> body, Span<byte> tag)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Encoding.UTF8.GetBytes(name));
        hmac.AppendData([0]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(tag);
    }

    /// <summary>True when <paramref name="file"/> (body then tag) was sealed by this key under <paramref name="name"/>.</summary>
    public bool Verify(string name, ReadOnlySpan<byte> file)
    {
        if (file.Length < TagBytes)
            return false;
        Span<byte> expected = stackalloc byte[TagBytes];
        Compute(name, file[..^TagBytes], expected);
        return CryptographicOperations.FixedTimeEquals(expected, file[^TagBytes..]);
    }
}
