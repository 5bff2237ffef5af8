using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Benchmarks;

/// <summary>
/// Issue 2's question: hand-rolled JSON (JsonLineWriter) or System.Text.Json source generation
/// for the ECS line of an exec event? Both write the same nested document into a reused buffer.
/// (STJ also cannot carry invalid UTF-8 losslessly: it rejects lone surrogates.)
/// </summary>
[MemoryDiagnoser]
public class JsonFormattingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly EcsJsonFormatter _formatter = new("bench-host");
    private ExecEvent _event = null!;
    private EcsDocument _document = null!;
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        string[] args = ["/usr/bin/gcc", "-O2", "-c", "file with spaces.c", "-o", "file.o"];
        _event = new ExecEvent
        {
            KernelTimeNs = 123456789, Timestamp = now, Cpu = 1, Pid = 4242, Tid = 4242,
            Process = new ProcessInfo
            {
                Pid = 4242, ParentPid = 4000, Name = "gcc", Executable = "/usr/bin/gcc-12", Args = args,
                ArgvSource = ArgvSource.Ebpf, WorkingDirectory = "/home/user/src",
                User = new IdName(1000, "user"), Group = new IdName(1000, "user"), Start = now, SessionId = 3000,
                EntityId = "b1946ac92492d2347c6235b4d2611184-4242-98765",
                Parent = new ParentInfo { Pid = 4000, Name = "make", Executable = "/usr/bin/make" },
            },
        };
        _document = new EcsDocument
        {
            Timestamp = now,
            Event = new EcsEvent { Kind = "event", Category = ["process"], Type = ["start"], Action = "exec" },
            Process = new EcsProcess
            {
                Pid = 4242, Thread = new EcsThread { Id = 4242 }, Name = "gcc", Executable = "/usr/bin/gcc-12",
                Args = args, ArgsCount = args.Length, CommandLine = ProcWatch.Text.CommandLine.Join(args),
                WorkingDirectory = "/home/user/src", Start = now,
                User = new EcsId { Id = "1000", Name = "user" }, Group = new EcsId { Id = "1000", Name = "user" },
                EntityId = "b1946ac92492d2347c6235b4d2611184-4242-98765",
                Parent = new EcsParent { Pid = 4000, Name = "make", Executable = "/usr/bin/make" },
            },
            Host = new EcsHost { Hostname = "bench-host" },
        };
        _writer = new Utf8JsonWriter(_buffer);
    }

    [Benchmark(Baseline = true)]
    public int HandRolled()
    {
        _buffer.ResetWrittenCount();
        _formatter.Write(_event, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int SourceGenerated()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _document, EcsJsonContext.Default.EcsDocument);
        return _buffer.WrittenCount;
    }
}

public sealed class EcsDocument
{
    [JsonPropertyName("@timestamp")] public DateTimeOffset Timestamp { get; set; }
    public EcsEvent? Event { get; set; }
    public EcsProcess? Process { get; set; }
    public EcsHost? Host { get; set; }
}

public sealed class EcsEvent
{
    public string? Kind { get; set; }
    public string[]? Category { get; set; }
    public string[]? Type { get; set; }
    public string? Action { get; set; }
}

public sealed class EcsProcess
{
    public int Pid { get; set; }
    public EcsThread? Thread { get; set; }
    public string? Name { get; set; }
    public string? Executable { get; set; }
    public IReadOnlyList<string>? Args { get; set; }
    public int ArgsCount { get; set; }
    public string? CommandLine { get; set; }
    public string? WorkingDirectory { get; set; }
    public DateTimeOffset? Start { get; set; }
    public EcsId? User { get; set; }
    public EcsId? Group { get; set; }
    public string? EntityId { get; set; }
    public EcsParent? Parent { get; set; }
}

public sealed class EcsThread { public int Id { get; set; } }
public sealed class EcsId { public string? Id { get; set; } public string? Name { get; set; } }
public sealed class EcsHost { public string? Hostname { get; set; } }
public sealed class EcsParent
{
    public int Pid { get; set; }
    public string? Name { get; set; }
    public string? Executable { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EcsDocument))]
internal sealed partial class EcsJsonContext : JsonSerializerContext;
