using System.CommandLine;
using System.Text;
using System.Text.Json;
using ProcWatch.Watching;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// <c>procwatch fleet tree ENTITY_ID</c>: a process's ancestors and descendants as the store has
/// them. Parents are followed through <c>process.parent.entity_id</c>; where a parent was never
/// stored (it started before the sensor), the chain the exec carried
/// (<c>procwatch.ancestors.*</c>) fills in. Descendants are found level by level, at most
/// <see cref="MaxNodes"/> of them.
/// </summary>
internal static class FleetTreeCommand
{
    public const int MaxNodes = 5000;
    private const int MaxDepth = 64;
    private const int Chunk = 500;

    private static readonly Argument<string> Entity = new("ENTITY_ID") { Description = "process.entity_id of the process (from fleet search)" };

    private static readonly Option<bool> Json = new("--json") { Description = "One JSON object per process, with its relation and depth" };

    public static Command Build() => FleetConnection.WithStore(
        new Command("tree", "A process's ancestors and descendants across the stored events") { Entity, Json },
        result => (Entity: result.GetValue(Entity)!, Json: result.GetValue(Json)),
        (store, a) => Run(store, a.Entity, a.Json, Console.Out));

    /// <summary>One process as the store knows it.</summary>
    private sealed record Node(string EntityId, string Parent, long Pid, string Time, long FirstUs, string Host, string User, string CommandLine,
        string Executable, string[] AncestorIds, long[] AncestorPids, string[] AncestorExecutables, bool Stored = true);

    public static int Run(FleetStore store, string entityId, bool json, TextWriter output)
    {
        Node target = Nodes(store, "`process.entity_id` IN (" + FleetSql.Text(entityId) + ")").FirstOrDefault()
            ?? throw new ProcWatchException(FailureKind.SystemError, $"fleet tree: no stored event has process.entity_id {entityId}");

        // Up: stored parents, then the chain the exec carried.
        var ancestors = new List<Node>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { target.EntityId };
        Node current = target;
        while (ancestors.Count < MaxDepth && current.Parent.Length > 0 && seen.Add(current.Parent))
        {
            Node? parent = Nodes(store, "`process.entity_id` IN (" + FleetSql.Text(current.Parent) + ")").FirstOrDefault();
            if (parent is null)
            {
                // Not stored (older than the sensor, or its rows expired): the chain the exec carried, with what of it is stored.
                List<Node> carried = Carried(target, current.Parent);
                var stored = Nodes(store, "`process.entity_id` IN (" + FleetSql.TextList(carried.Select(n => n.EntityId)) + ")").ToDictionary(n => n.EntityId, StringComparer.Ordinal);
                foreach (Node n in carried)
                    ancestors.Add(stored.GetValueOrDefault(n.EntityId) ?? n);
                break;
            }
            ancestors.Add(parent);
            current = parent;
        }
        ancestors.Reverse();

        // Down: level by level.
        var children = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        var frontier = new List<string> { target.EntityId };
        int descendants = 0;
        bool cut = false;
        for (int depth = 0; depth < MaxDepth && frontier.Count > 0 && !cut; depth++)
        {
            var next = new List<string>();
            for (int i = 0; i < frontier.Count && !cut; i += Chunk)
            {
                string list = FleetSql.TextList(frontier.Skip(i).Take(Chunk));
                foreach (Node child in Nodes(store, $"`process.parent.entity_id` IN ({list})"))
                {
                    if (!seen.Add(child.EntityId)) continue;
                    if (++descendants > MaxNodes) { cut = true; break; }
                    if (!children.TryGetValue(child.Parent, out List<Node>? list2)) children[child.Parent] = list2 = [];
                    list2.Add(child);
                    next.Add(child.EntityId);
                }
            }
            frontier = next;
        }
        foreach (List<Node> c in children.Values) c.Sort((a, b) => a.FirstUs.CompareTo(b.FirstUs));

        if (json)
        {
            WriteJson(output, ancestors, target, children);
            return ExitCodes.Success;
        }
        var sb = new StringBuilder();
        for (int i = 0; i < ancestors.Count; i++)
            Line(sb, ancestors[i], i, "  ");
        Line(sb, target, ancestors.Count, "→ ");
        Descend(sb, target.EntityId, children, ancestors.Count + 1);
        output.Write(sb.ToString());
        output.WriteLine($"{ancestors.Count} ancestors, {Math.Min(descendants, MaxNodes)} descendants" + (cut ? $" (stopped at {MaxNodes})" : ""));
        return ExitCodes.Success;
    }

    private static void Descend(StringBuilder sb, string parent, Dictionary<string, List<Node>> children, int depth)
    {
        if (!children.TryGetValue(parent, out List<Node>? list)) return;
        foreach (Node n in list)
        {
            Line(sb, n, depth, "  ");
            Descend(sb, n.EntityId, children, depth + 1);
        }
    }

    private static void Line(StringBuilder sb, Node n, int depth, string mark)
    {
        sb.Append(mark).Append(' ', Math.Min(depth, 32) * 2);
        if (!n.Stored)
        {
            sb.Append("[not stored] pid ").Append(n.Pid).Append(' ').Append(FleetTable.Cell(n.Executable)).Append("  ").Append(FleetTable.Cell(n.EntityId)).Append('\n');
            return;
        }
        sb.Append(n.Time).Append("  ").Append(FleetTable.Cell(n.Host)).Append("  pid ").Append(n.Pid).Append("  ").Append(FleetTable.Cell(n.User))
          .Append("  ").Append(FleetTable.Cell(n.CommandLine.Length > 0 ? n.CommandLine : n.Executable)).Append("  ").Append(FleetTable.Cell(n.EntityId)).Append('\n');
    }

    /// <summary>The ancestors from <paramref name="from"/> up, as the target's exec carried them (pid, entity id, executable).</summary>
    private static List<Node> Carried(Node target, string from)
    {
        int at = Array.IndexOf(target.AncestorIds, from);
        if (at < 0)
            return [new Node(from, "", 0, "", 0, target.Host, "", "", "", [], [], [], Stored: false)];
        var chain = new List<Node>();
        for (int i = at; i < target.AncestorIds.Length; i++)
            chain.Add(new Node(target.AncestorIds[i], "", i < target.AncestorPids.Length ? target.AncestorPids[i] : 0, "", 0, target.Host, "", "",
                i < target.AncestorExecutables.Length ? target.AncestorExecutables[i] : "", [], [], [], Stored: false));
        return chain;
    }

    /// <summary>Every stored process matching <paramref name="where"/>: what its exec ran (else what any event of it said).</summary>
    private static List<Node> Nodes(FleetStore store, string where)
    {
        string sql = $"""
            SELECT `process.entity_id` AS entity_id,
                   any(`process.parent.entity_id`) AS parent,
                   any(`process.pid`) AS pid,
                   toString(min(`@timestamp`)) AS time,
                   min(`event.time_us`) AS first_us,
                   any(`host.hostname`) AS host,
                   if(countIf(`event.action` = 'exec') > 0, argMaxIf(`user.name`, `event.time_us`, `event.action` = 'exec'), any(`user.name`)) AS user,
                   if(countIf(`event.action` = 'exec') > 0, argMaxIf(`process.command_line`, `event.time_us`, `event.action` = 'exec'), any(`process.command_line`)) AS command_line,
                   if(countIf(`event.action` = 'exec') > 0, argMaxIf(`process.executable`, `event.time_us`, `event.action` = 'exec'), any(`process.executable`)) AS executable,
                   argMaxIf(`procwatch.ancestors.entity_id`, `event.time_us`, `event.action` = 'exec') AS ancestor_ids,
                   argMaxIf(`procwatch.ancestors.pid`, `event.time_us`, `event.action` = 'exec') AS ancestor_pids,
                   argMaxIf(`procwatch.ancestors.executable`, `event.time_us`, `event.action` = 'exec') AS ancestor_executables
            FROM {store.Events}
            WHERE `event.kind` = 'event' AND `process.entity_id` != '' AND ({where})
            GROUP BY entity_id
            ORDER BY first_us
            LIMIT {MaxNodes + 1}
            """;
        var nodes = new List<Node>();
        foreach (JsonElement r in store.Rows(sql))
        {
            // The chain is stored nearest first (parent, grandparent, ...).
            nodes.Add(new Node(FleetTable.Str(r, "entity_id"), FleetTable.Str(r, "parent"), FleetTable.Long(r, "pid"), FleetTable.Str(r, "time"),
                FleetTable.Long(r, "first_us"), FleetTable.Str(r, "host"), FleetTable.Str(r, "user"), FleetTable.Str(r, "command_line"),
                FleetTable.Str(r, "executable"), Strings(r, "ancestor_ids"), Longs(r, "ancestor_pids"), Strings(r, "ancestor_executables")));
        }
        return nodes;
    }

    private static string[] Strings(JsonElement r, string name) =>
        r.TryGetProperty(name, out JsonElement a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : [];

    private static long[] Longs(JsonElement r, string name) =>
        r.TryGetProperty(name, out JsonElement a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().Select(e => e.TryGetInt64(out long v) ? v : 0).ToArray() : [];

    private static void WriteJson(TextWriter output, List<Node> ancestors, Node target, Dictionary<string, List<Node>> children)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        void One(Node n, string relation, int depth)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("relation", relation);
                w.WriteNumber("depth", depth);
                w.WriteBoolean("stored", n.Stored);
                w.WriteString("entity_id", n.EntityId);
                w.WriteString("parent_entity_id", n.Parent);
                w.WriteNumber("pid", n.Pid);
                w.WriteString("time", n.Time);
                w.WriteString("host", n.Host);
                w.WriteString("user", n.User);
                w.WriteString("executable", n.Executable);
                w.WriteString("command_line", n.CommandLine);
                w.WriteEndObject();
            }
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            output.Write('\n');
        }
        for (int i = 0; i < ancestors.Count; i++) One(ancestors[i], "ancestor", i - ancestors.Count);
        One(target, "self", 0);
        void Down(string parent, int depth)
        {
            if (!children.TryGetValue(parent, out List<Node>? list)) return;
            foreach (Node n in list) { One(n, "descendant", depth); Down(n.EntityId, depth + 1); }
        }
        Down(target.EntityId, 1);
    }
}
