namespace ProcWatch.Daemon.Configuration;

/// <summary>One key of the YAML configuration: its name, a sketch of its value, and what it does.</summary>
/// <param name="Aliases">Other spellings the reader accepts (not listed in errors).</param>
internal sealed record ConfigKey(string Name, string Value, string Meaning, params string[] Aliases)
{
    public bool Accepts(string key) => key == Name || Array.IndexOf(Aliases, key) >= 0;
}

/// <summary>
/// One mapping of the configuration and the keys it takes. <see cref="ConfigLoader"/> accepts a
/// key only when its section lists it, and procwatch.yaml(5) and the shell completions are
/// written from the same lists: a key cannot be read without being documented.
/// </summary>
/// <param name="Path">Where the mapping sits, e.g. <c>outputs[]</c> (empty: the top level).</param>
/// <param name="Title">Its heading in procwatch.yaml(5), which the key descriptions refer to (SEE OUTPUTS).</param>
/// <param name="InWhat">How errors name it: " in an output" (empty at the top level).</param>
internal sealed record ConfigSection(string Path, string Title, string InWhat, ConfigKey[] Keys)
{
    public bool Accepts(string key)
    {
        foreach (ConfigKey k in Keys)
        {
            if (k.Accepts(key))
                return true;
        }
        return false;
    }

    /// <summary>The one-line error for a key this section does not take.</summary>
    public string UnknownKey(string key) =>
        $"unknown key '{key}'{InWhat} (expected {string.Join(", ", Array.ConvertAll(Keys, k => k.Name))})";
}

/// <summary>Every section and key of the daemon's configuration (the reader's list, the manual's source).</summary>
internal static class ConfigSchema
{
    public static readonly ConfigSection TopLevel = new("", "TOP-LEVEL KEYS", "",
    [
        new("backend", "auto | connector | ebpf | procfs", "The event source (default auto: the proc connector with eBPF exact argv when it loads)."),
        new("events", "[KIND, ...]", "What is recorded: any of fork, exec, exit, clone, comm, uid, gid, sid, ptrace, core, all (default [exec, exit]); execfail (failed execs) only when listed, all leaves it out. A rule's own event kinds are subscribed for it even when not listed."),
        new("outputs", "[OUTPUT, ...]", "Where events and alerts go (default: the file /var/log/procwatch/events.json); see OUTPUTS."),
        new("rules", "[RULE, ...]", "Rules: a match, then actions; see RULES."),
        new("sigma", "[PATH | SIGMA, ...]", "Sigma rule files or directories (searched recursively); see SIGMA."),
        new("filters", "[PATH, ...]", "Sigma filter documents applied to the rules of every sigma path."),
        new("actions", "ACTIONS", "How exec actions run; see ACTIONS."),
        new("health", "HEALTH", "Counters: the log interval, the status socket, the metrics address; see HEALTH."),
        new("hash", "true | false", "SHA-256 of executables in process.hash.sha256 (default true)."),
        new("hash_max_size", "SIZE", "Larger executables are not hashed and say procwatch.hash_status: too_large (1MiB..4GiB, default 64MiB)."),
        new("ancestors", "N", "Ancestors an exec lists in procwatch.ancestors, the parent first (0..64, default 4)."),
        new("deny", "DENY", "Deny rules enforced in the kernel at exec (BPF LSM or fanotify: EPERM; else SIGKILL at exec); see DENY."),
        new("flood", "FLOOD", "Per-user flood control, so no user can rotate alerts away by producing events; see FLOOD."),
        new("containers", "CONTAINERS", "Where each container runtime keeps its state, or enabled: false; see CONTAINERS."),
    ]);

    public static readonly ConfigSection Output = new("outputs[]", "OUTPUTS", " in an output",
    [
        new("type", "file | stdout | syslog | journald | clickhouse", "The kind of output (clickhouse takes the keys under CLICKHOUSE)."),
        new("path", "PATH", "file: the JSON-lines file (default /var/log/procwatch/events.json); syslog: the socket (default /dev/log); journald: the socket (default /run/systemd/journal/socket). Absolute."),
        new("max_size", "SIZE", "file: rotate at this size (B, KB, MB, GB, 1024-based; 0 never rotates; default 100MB)."),
        new("keep", "N", "file: rotated files kept, events.json.1 the newest (0..1000, default 10)."),
        new("facility", "NAME", "syslog: the facility (default daemon; kern, user, auth, authpriv, local0..local7, ...)."),
        new("alerts", "PATH | none", "file: alerts also go to this file, with a rotation budget of their own (default NAME.alerts.json beside path; none: off)."),
        new("alerts_max_size", "SIZE", "file: rotate the alerts file at this size (default 10MB)."),
        new("alerts_keep", "N", "file: rotated alerts files kept (0..1000, default 10)."),
    ]);

    public static readonly ConfigSection ClickHouse = new("outputs[] (type: clickhouse)", "CLICKHOUSE", " in a clickhouse output",
    [
        new("type", "clickhouse", "Rows into ClickHouse over HTTP, through an on-disk spool."),
        new("url", "URL", "The HTTP interface, http:// or https:// (required; never with credentials)."),
        new("database", "NAME", "Database (default procwatch)."),
        new("table", "NAME", "Table (default events; with a cluster, the Distributed table)."),
        new("user", "NAME", "User (or the environment variable PROCWATCH_CLICKHOUSE_USER)."),
        new("password_file", "PATH", "A file whose first line is the password (or PROCWATCH_CLICKHOUSE_PASSWORD); a password: key is an error."),
        new("ca_file", "PATH", "A private CA for https (default: the system's trust store)."),
        new("batch_rows", "N", "Insert at this many rows (1..1000000, default 10000)."),
        new("batch_interval", "DURATION", "...or this long after a batch's first row (default 1s)."),
        new("timeout", "DURATION", "One insert; then it is retried from the spool (default 30s)."),
        new("spool", "DIR", "The on-disk spool, absolute (default /var/lib/procwatch/spool/clickhouse)."),
        new("spool_max_size", "SIZE", "Spool size limit, compressed (default 1GB)."),
        new("spool_max_age", "DAYS", "Spooled batches older than this are dropped (e.g. 7d)."),
        new("queue_max_size", "SIZE", "Sealed batches waiting in memory for the spool writer (default 64MB)."),
        new("create_table", "true | false", "Create the database and single-node table when missing."),
        new("retention_days", "N", "TTL of a table the daemon creates (0 keeps forever; servers 19.6 and later)."),
        new("heartbeat_interval", "DURATION", "A heartbeat row this often (default 60s; 0 = none); fleet hosts marks a host quiet after 3 missed."),
        new("heartbeat_table", "NAME", "The heartbeats table, in the same database (default heartbeats)."),
    ]);

    public static readonly ConfigSection Rule = new("rules[]", "RULES", " in a rule",
    [
        new("name", "TEXT", "Required, unique."),
        new("severity", "low | medium | high | critical", "Default medium."),
        new("match", "MATCH", "Every given key must hold; none given matches every event of the kinds; see MATCH."),
        new("actions", "[alert | kill | exec: [PROGRAM, ARG...], ...]", "Default [alert]. kill sends SIGKILL to the event's own process (never one that took its pid); exec runs an absolute program with arguments, never a shell."),
        new("rate_limit", "COUNT/second|minute|hour", "exec actions of this rule (default 60/minute)."),
        new("kill_any_process", "true | false", "Allow kill in a rule whose match names no executable, name, args, user or parent."),
    ]);

    public static readonly ConfigSection Match = new("rules[].match", "MATCH", " in match",
    [
        new("event", "KIND | [KIND, ...]", "Event kinds (default exec).", "events"),
        new("executable", "GLOB", "Glob (* and ?) on the executable's path."),
        new("name", "GLOB", "Glob on the process name (comm) or the executable's file name."),
        new("args", "TEXT | /REGEX/ | /REGEX/i", "Substring of the shell-quoted command line, or a regular expression between slashes."),
        new("user", "NAME | UID", "The real or effective user; a name must exist on the host."),
        new("parent_executable", "GLOB", "Glob on the parent's executable."),
        new("container", "GLOB", "Glob on the container's name or id."),
        new("image", "GLOB", "Glob on the container's image (name:tag)."),
        new("pod_namespace", "GLOB", "Glob on the Kubernetes pod's namespace."),
        new("pod", "GLOB", "Glob on the Kubernetes pod's name."),
        new("container_entry", "true | false", "The process entered a running container from outside (docker exec, kubectl exec, nsenter)."),
        new("sha256", "HEX | [HEX, ...]", "SHA-256 of the executable, of the program the dynamic loader ran, or of the script (lower- or upper-case hex)."),
        new("script", "GLOB", "Glob on the script's path (a #! script, or the script argument of sh, bash, python, perl, ruby, node, php, java -jar)."),
    ]);

    public static readonly ConfigSection Sigma = new("sigma[]", "SIGMA", " in a sigma entry",
    [
        new("path", "PATH", "A Sigma rule file or a directory (searched recursively)."),
        new("actions", "[alert | kill | exec: [...], ...]", "What its rules do (default [alert])."),
        new("rate_limit", "COUNT/UNIT", "exec actions of each of these rules (default 60/minute)."),
    ]);

    public static readonly ConfigSection Actions = new("actions", "ACTIONS", " in actions",
    [
        new("timeout", "DURATION", "An exec action still running is killed with its process group (default 10s)."),
        new("concurrency", "N", "Actions running at once (1..64, default 2)."),
        new("queue", "N", "Actions waiting; beyond, dropped and counted (default 256)."),
    ]);

    public static readonly ConfigSection Health = new("health", "HEALTH", " in health",
    [
        new("interval", "DURATION", "Counters in the log this often; 0 never (default 60s)."),
        new("socket", "PATH | none", "What procwatch status reads (default /run/procwatch/status.sock)."),
        new("listen", "ADDRESS:PORT", "Prometheus text at http://ADDRESS:PORT/metrics; loopback only (default off)."),
        new("metrics_token_file", "PATH", "A 0600/0640 file holding a bearer token: a client sending it reads the per-rule metrics too."),
        new("rule_metrics", "true | false", "Per-rule metrics for every HTTP client, token or not (default false)."),
    ]);

    public static readonly ConfigSection Deny = new("deny", "DENY", " in deny",
    [
        new("mode", "enforce | audit", "audit reports \"would deny\" and denies nothing (default enforce)."),
        new("rules", "[DENY RULE, ...]", "The deny rules; see DENY RULES."),
    ]);

    public static readonly ConfigSection DenyRule = new("deny.rules[]", "DENY RULES", " in a deny rule",
    [
        new("name", "TEXT", "Required, unique."),
        new("mode", "enforce | audit", "This rule's mode (default: deny.mode)."),
        new("allow_critical", "true | false", "Allow a rule that would match an essential program (init, the shells of /etc/shells, the dynamic loader, sshd, procwatch)."),
        new("executables", "PATH | GLOB | [...]", "Executables, by the file they name (device and inode: hard links and renames do not escape).", "executable"),
        new("directories", "DIR | [...]", "Anything executed from under these directories or mounts (e.g. /tmp, /dev/shm).", "directory"),
        new("fileless", "true | false", "Programs that are not a file: memfd, or a deleted file."),
        new("sha256", "HEX | [...]", "File versions with these SHA-256 hashes, denied as soon as ProcWatch has hashed them."),
        new("user", "NAME | UID", "Only execs by this real or effective user."),
        new("cgroup", "PATH", "Only execs in this cgroup (a container)."),
        new("parent_executable", "PATH", "Only execs whose parent runs this executable."),
    ]);

    public static readonly ConfigSection Flood = new("flood", "FLOOD", " in flood",
    [
        new("bytes_per_minute", "SIZE", "Per user; above it, one procwatch-flood alert naming the user and cut lines for the rest of the minute (0: off; default 64MB)."),
        new("argv_kept", "SIZE", "Argument bytes kept in a flooding user's lines (default 1KB); rules still judge the whole event."),
        new("users", "N", "Users tracked at once (16..1000000, default 4096)."),
    ]);

    public static readonly ConfigSection Containers = new("containers", "CONTAINERS", " in containers",
    [
        new("enabled", "true | false", "Read container identity from the runtimes (default true)."),
        new("docker", "DIR", "Docker's data root (default /var/lib/docker)."),
        new("podman", "DIR", "Podman's storage root (default /var/lib/containers/storage)."),
        new("containerd", "DIR", "containerd's state directory (default /run/containerd)."),
        new("containerd_socket", "PATH", "containerd's API socket (default /run/containerd/containerd.sock)."),
        new("crio", "DIR", "CRI-O's run root (default /run/containers/storage)."),
    ]);

    /// <summary>In the manual's order.</summary>
    public static IReadOnlyList<ConfigSection> All { get; } = [TopLevel, Output, ClickHouse, Rule, Match, Sigma, Actions, Health, Deny, DenyRule, Flood, Containers];
}
