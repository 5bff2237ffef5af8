using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ProcWatch.Output;

/// <summary>
/// The JSON of string lists that recur in the output: a parent's and the ancestors' argv are
/// written on every child's event, and a fork's or exit's argv is the one already written at
/// its exec (see <see cref="JsonLineWriter.RepeatedStringArray"/>). A direct-mapped table keyed
/// by the list's reference, so a lookup is one array read and a reference compare, and the
/// table can never grow. Entries are immutable and swapped whole, so the writers of several
/// outputs may share it.
/// </summary>
internal sealed class RepeatedJson
{
    /// <summary>Longer JSON is written afresh each time (padded argv is attacker-sized).</summary>
    public const int MaxBytes = 4096;

    private const int Slots = 512;

    /// <summary>Lists as JSON arrays (<c>args</c>).</summary>
    public static readonly RepeatedJson Arrays = new();

    /// <summary>Lists as one shell-quoted JSON string (<c>command_line</c>).</summary>
    public static readonly RepeatedJson CommandLines = new();

    private readonly Entry?[] _table = new Entry?[Slots];

    /// <summary>
    /// Only lists that cannot change under their reference: the model's argv are string arrays
    /// or immutable arrays, never mutated once published; a caller's own List is not cached.
    /// </summary>
    public static bool Cacheable(IReadOnlyList<string> items) => items is string[] or ImmutableArray<string>;

    public bool TryGet(IReadOnlyList<string> items, [NotNullWhen(true)] out byte[]? json)
    {
        Entry? entry = Volatile.Read(ref _table[SlotOf(items)]);
        json = entry is not null && ReferenceEquals(entry.Items, items) ? entry.Json : null;
        return json is not null;
    }

    public void Add(IReadOnlyList<string> items, byte[] json) => Volatile.Write(ref _table[SlotOf(items)], new Entry(items, json));

    private static int SlotOf(object items) => RuntimeHelpers.GetHashCode(items) & (Slots - 1);

    private sealed record Entry(IReadOnlyList<string> Items, byte[] Json);
}
