using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ProcWatch.Events;

namespace ProcWatch.Output;

/// <summary>
/// The JSON of values that recur in the output: a parent's and the ancestors' argv are
/// written on every child's event, and a fork's or exit's argv is the one already written at
/// its exec (see <see cref="JsonLineWriter.RepeatedStringArray"/>); a parent's summary and each
/// ancestor are the same object on every event of its children (see
/// <see cref="EcsJsonFormatter"/>). A direct-mapped table keyed by an immutable object's
/// reference, so a lookup is one array read and a reference compare, and the table can never
/// grow. Entries are immutable and swapped whole, so the writers of several outputs may share it.
/// </summary>
internal sealed class RepeatedJson
{
    /// <summary>Longer JSON is written afresh each time (padded argv is attacker-sized).</summary>
    public const int MaxBytes = 4096;

    /// <summary>Slots of the argv tables: a storm's many programs.</summary>
    private const int ArgvSlots = 512;

    /// <summary>
    /// Slots of the parent and ancestor tables: the parents and ancestors of one moment are few
    /// (a storm has one parent), and each entry holds its summary alive and up to
    /// <see cref="MaxBytes"/>: an attacker with many padded parents can fill a table, so it is small.
    /// </summary>
    private const int ParentSlots = 128;

    /// <summary>Lists as JSON arrays (<c>args</c>).</summary>
    public static readonly RepeatedJson Arrays = new(ArgvSlots);

    /// <summary>Lists as one shell-quoted JSON string (<c>command_line</c>).</summary>
    public static readonly RepeatedJson CommandLines = new(ArgvSlots);

    /// <summary>A <see cref="ParentInfo"/>'s fields after the pid in <c>process.parent</c>, argv included.</summary>
    public static readonly RepeatedJson ParentFields = new(ParentSlots);

    /// <summary>The same without the argv (an exit's parent).</summary>
    public static readonly RepeatedJson ParentFieldsNoArgs = new(ParentSlots);

    /// <summary>A <see cref="ParentInfo"/> as an item of <c>procwatch.ancestors</c>.</summary>
    public static readonly RepeatedJson Ancestors = new(ParentSlots);

    private readonly Entry?[] _table;
    private readonly int _mask;

    private RepeatedJson(int slots)
    {
        _table = new Entry?[slots]; // a power of two
        _mask = slots - 1;
    }

    /// <summary>
    /// Only lists that cannot change under their reference: the model's argv are string arrays
    /// or immutable arrays, never mutated once published; a caller's own List is not cached.
    /// </summary>
    public static bool Cacheable(IReadOnlyList<string> items) => items is string[] or ImmutableArray<string>;

    /// <summary>A parent summary whose JSON cannot change under its reference (a record with init-only fields, a cacheable argv).</summary>
    public static bool Cacheable(ParentInfo parent) => parent.Args is null || Cacheable(parent.Args);

    /// <param name="key">An object that never changes (a string list that is <see cref="Cacheable(IReadOnlyList{string})"/>, a record).</param>
    public bool TryGet(object key, [NotNullWhen(true)] out byte[]? json)
    {
        Entry? entry = Volatile.Read(ref _table[SlotOf(key)]);
        json = entry is not null && ReferenceEquals(entry.Key, key) ? entry.Json : null;
        return json is not null;
    }

    public void Add(object key, byte[] json) => Volatile.Write(ref _table[SlotOf(key)], new Entry(key, json));

    private int SlotOf(object key) => RuntimeHelpers.GetHashCode(key) & _mask;

    private sealed record Entry(object Key, byte[] Json);
}
