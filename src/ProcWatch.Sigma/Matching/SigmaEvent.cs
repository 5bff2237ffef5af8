using System.Globalization;
using ProcWatch.Events;

namespace ProcWatch.Sigma.Matching;

/// <summary>
/// One exec as the rules see it, built once per event and shared by every rule: each field's
/// text (argv joined with single spaces), its lower-cased copy, and which of the engine's
/// literals it contains or ends with (one automaton pass per field). Everything is computed
/// on first use and kept in reused buffers: evaluating allocates nothing. Not thread-safe:
/// one per engine, used by the thread that evaluates.
/// </summary>
internal sealed class SigmaEvent
{
    private readonly AhoCorasick?[] _automata;
    private readonly FieldState[] _fields = new FieldState[SigmaFields.Count];
    private ProcessInfo _process = null!;
    private int _stamp;

    public SigmaEvent(AhoCorasick?[] automata)
    {
        _automata = automata;
        for (int i = 0; i < _fields.Length; i++)
        {
            AhoCorasick? ac = automata[i];
            _fields[i] = new FieldState(ac?.StateCount ?? 0, ac?.PatternCount ?? 0);
        }
    }

    /// <summary>Makes this the view of <paramref name="process"/>; nothing is read until a rule asks.</summary>
    public void Reset(ProcessInfo process)
    {
        _process = process;
        if (++_stamp == int.MaxValue)
        {
            _stamp = 1;
            foreach (FieldState f in _fields)
                f.Clear();
        }
    }

    public bool IsNull(SigmaField field) => !Load(field).Present;

    /// <summary>The field's text as the event has it (empty when null: ask <see cref="IsNull"/>).</summary>
    public ReadOnlySpan<char> Raw(SigmaField field)
    {
        FieldState f = Load(field);
        return f.Raw.AsSpan(0, f.Length);
    }

    /// <summary>The field's text as it is (<c>|cased</c>) or lower-cased.</summary>
    public ReadOnlySpan<char> Text(SigmaField field, bool cased) => cased ? Raw(field) : Lower(field);

    /// <summary>The field's text lower-cased (invariant), for case-insensitive matching.</summary>
    public ReadOnlySpan<char> Lower(SigmaField field)
    {
        FieldState f = Load(field);
        if (f.LoweredStamp != _stamp)
        {
            f.EnsureLower();
            MemoryExtensions.ToLowerInvariant(f.Raw.AsSpan(0, f.Length), f.Lower);
            f.LoweredStamp = _stamp;
        }
        return f.Lower.AsSpan(0, f.Length);
    }

    public bool TryNumber(SigmaField field, out decimal value)
    {
        FieldState f = Load(field);
        value = f.Number;
        return f.HasNumber;
    }

    /// <summary>Whether the lower-cased field contains literal <paramref name="pattern"/> of its automaton.</summary>
    public bool Contains(SigmaField field, int pattern) => Scanned(field).Found[pattern] == _stamp;

    /// <summary>Whether the lower-cased field ends with literal <paramref name="pattern"/> of its automaton.</summary>
    public bool EndsWith(SigmaField field, int pattern) => Scanned(field).Suffix[pattern] == _stamp;

    /// <summary>The field's automaton hits (contains: id; ends-with: pattern count + id), scanning it first if no rule has.</summary>
    public List<int> Hits(SigmaField field) => Scanned(field).Hits;

    private FieldState Scanned(SigmaField field)
    {
        FieldState f = Load(field);
        if (f.ScannedStamp != _stamp)
        {
            f.ScannedStamp = _stamp;
            f.Hits.Clear();
            if (f.Present)
                _automata[(int)field]!.Scan(Lower(field), _stamp, f.Visited, f.Found, f.Suffix, f.Hits);
        }
        return f;
    }

    private FieldState Load(SigmaField field)
    {
        FieldState f = _fields[(int)field];
        if (f.LoadedStamp == _stamp)
            return f;
        f.LoadedStamp = _stamp;
        f.Present = true;
        f.HasNumber = false;
        f.Length = 0;
        ProcessInfo p = _process;
        switch (field)
        {
            case SigmaField.Image: f.SetText(p.Executable); break;
            case SigmaField.CommandLine: f.SetArgs(p.Args); break;
            case SigmaField.ParentImage: f.SetText(p.Parent?.Executable); break;
            case SigmaField.ParentCommandLine: f.SetArgs(p.Parent?.Args); break;
            case SigmaField.User: f.SetText((p.EffectiveUser ?? p.User)?.Name); break;
            case SigmaField.CurrentDirectory: f.SetText(p.WorkingDirectory); break;
            case SigmaField.ContainerName: f.SetText(p.Container?.Name); break;
            case SigmaField.ContainerImage: f.SetText(p.Container?.ImageName); break;
            case SigmaField.PodNamespace: f.SetText(p.Container?.PodNamespace); break;
            case SigmaField.PodName: f.SetText(p.Container?.PodName); break;
            case SigmaField.LogonId: f.SetNumber(p.LoginUid); break;
            case SigmaField.ProcessId: f.SetNumber((uint)p.Pid); break;
            case SigmaField.ParentProcessId: f.SetNumber(p.ParentPid is int ppid ? (uint)ppid : null); break;
        }
        return f;
    }

    private sealed class FieldState(int states, int patterns)
    {
        public char[] Raw = new char[256];
        public char[] Lower = [];
        public int Length;
        public bool Present;
        public bool HasNumber;
        public decimal Number;
        public int LoadedStamp, LoweredStamp, ScannedStamp;
        public readonly int[] Visited = new int[states];
        public readonly int[] Found = new int[patterns];
        public readonly int[] Suffix = new int[patterns];
        public readonly List<int> Hits = new(16);

        public void SetText(string? text)
        {
            if (text is null) { Present = false; return; }
            Reserve(text.Length);
            text.CopyTo(Raw);
            Length = text.Length;
        }

        /// <summary>argv joined with single spaces, unquoted: how Sysmon for Linux and auditd-based rules see a command line.</summary>
        public void SetArgs(IReadOnlyList<string>? args)
        {
            if (args is null) { Present = false; return; }
            int length = args.Count > 0 ? args.Count - 1 : 0;
            for (int i = 0; i < args.Count; i++)
                length += args[i].Length;
            Reserve(length);
            int at = 0;
            for (int i = 0; i < args.Count; i++)
            {
                if (i > 0) Raw[at++] = ' ';
                args[i].CopyTo(Raw.AsSpan(at));
                at += args[i].Length;
            }
            Length = at;
        }

        public void SetNumber(uint? number)
        {
            if (number is not { } n) { Present = false; return; }
            HasNumber = true;
            Number = n;
            n.TryFormat(Raw, out Length, provider: CultureInfo.InvariantCulture);
        }

        public void EnsureLower()
        {
            if (Lower.Length < Length)
                Lower = new char[Raw.Length];
        }

        public void Clear()
        {
            LoadedStamp = LoweredStamp = ScannedStamp = 0;
            Array.Clear(Visited);
            Array.Clear(Found);
            Array.Clear(Suffix);
        }

        private void Reserve(int length)
        {
            if (Raw.Length < length)
                Raw = new char[Math.Max(length, Raw.Length * 2)];
        }
    }
}
