namespace ProcWatch.Tests.Cli.Report;

/// <summary>ECS lines as ProcWatch writes them (trimmed to the fields the report reads), for unit tests.</summary>
internal static class ReportFixtures
{
    public const string Boot = "b00710";

    public static string Entity(int pid, int ticks = 100) => $"{Boot}-{pid}-{ticks}";

    public static string Fork(int pid, int parent, string time, string parentArgs = "\"sh\",\"-c\",\"x\"") =>
        "{\"@timestamp\":\"" + (time) + "\",\"event\":{\"kind\":\"event\",\"action\":\"fork\"},\"process\":{\"pid\":" + (pid) + ",\"thread\":{\"id\":" + (pid) + "},\"name\":\"sh\",\"executable\":\"/usr/bin/dash\",\"args\":[" + (parentArgs) + "],\"start\":\"" + (time) + "\",\"entity_id\":\"" + (Entity(pid)) + "\",\"parent\":{\"pid\":" + (parent) + ",\"entity_id\":\"" + (Entity(parent)) + "\"}},\"host\":{\"hostname\":\"h1\"},\"procwatch\":{\"thread\":false}}";

    public static string Exec(int pid, int parent, string time, string start, string args, string exe = "/usr/bin/sleep", string cwd = "/tmp") =>
        "{\"@timestamp\":\"" + (time) + "\",\"event\":{\"kind\":\"event\",\"action\":\"exec\"},\"process\":{\"pid\":" + (pid) + ",\"thread\":{\"id\":" + (pid) + "},\"name\":\"sleep\",\"executable\":\"" + (exe) + "\",\"args\":[" + (args) + "],\"working_directory\":\"" + (cwd) + "\",\"start\":\"" + (start) + "\",\"user\":{\"id\":\"0\",\"name\":\"root\"},\"entity_id\":\"" + (Entity(pid)) + "\",\"parent\":{\"pid\":" + (parent) + ",\"entity_id\":\"" + (Entity(parent)) + "\"}},\"procwatch\":{\"argv_source\":\"ebpf\"}}";

    public static string Exit(int pid, int parent, string time, int code, string? signal = null, bool core = false, int tid = 0) =>
        "{\"@timestamp\":\"" + (time) + "\",\"event\":{\"kind\":\"event\",\"action\":\"exit\"},\"process\":{\"pid\":" + (pid) + ",\"thread\":{\"id\":" + ((tid == 0 ? pid : tid)) + "},\"entity_id\":\"" + (Entity(pid)) + "\",\"end\":\"" + (time) + "\",\"exit_code\":" + (code) + ",\"parent\":{\"pid\":" + (parent) + "}},\"procwatch\":{\"wait_status\":0" + (SignalFields(signal, core)) + "}}";

    private static string SignalFields(string? signal, bool core) =>
        signal is null ? "" : ",\"signal\":11,\"signal_name\":\"" + signal + "\",\"core_dumped\":" + (core ? "true" : "false");

    public static string Lost(string time, long count) =>
        "{\"@timestamp\":\"" + (time) + "\",\"event\":{\"kind\":\"event\",\"action\":\"lost\"},\"procwatch\":{\"lost_reason\":\"kernel_buffer_overrun\",\"lost_count\":" + (count) + "}}";

    public static string Alert(int pid, string time, string rule) =>
        "{\"@timestamp\":\"" + (time) + "\",\"event\":{\"kind\":\"alert\",\"action\":\"exec\",\"severity\":73},\"rule\":{\"id\":\"r-1\",\"name\":\"" + (rule) + "\",\"ruleset\":\"sigma\",\"severity\":\"high\"},\"process\":{\"pid\":" + (pid) + ",\"entity_id\":\"" + (Entity(pid)) + "\",\"args\":[\"nc\",\"-e\",\"/bin/sh\"]}}";

    public static string T(double seconds) =>
        new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc).AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond))
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
