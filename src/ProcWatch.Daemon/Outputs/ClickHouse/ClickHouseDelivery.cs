using System.Diagnostics;
using System.Text;
using ProcWatch.Output.Sinks;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// Sends the spool to the server, oldest batch first, one INSERT per batch, and deletes a
/// batch only after the server answered 200. Before the first insert (and after the table
/// went missing) it checks the table: present with every column, else created (if
/// allowed) or reported. Every failure is one log line when it starts and one when
/// delivery resumes, never one per retry; retries back off to 30 s.
/// </summary>
internal sealed class ClickHouseDelivery(ClickHouseSettings settings, string name, string? user, ClickHouseSpool spool,
    OutputCounters counters, LossReporter losses, Action<string> report, string? password) : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly ClickHouseClient _client = new(settings, user, password);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private Task _loop = Task.CompletedTask;
    private (ClickHouseOutcome Outcome, int Code)? _problem;
    private volatile bool _tableChecked;

    /// <summary>The table was found (or created) with every column: the heartbeats table exists from here on too.</summary>
    public bool TableChecked => _tableChecked;

    /// <summary>Insert latencies in milliseconds of accepted batches, when a benchmark asks for them.</summary>
    public List<double>? Latencies { get; set; }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>A new batch is spooled.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        TimeSpan backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                long expired = spool.Expire(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                if (expired > 0)
                {
                    counters.OnDropped(expired);
                    losses.Lost(expired, "expired", $"spooled longer than {settings.SpoolMaxAge.TotalHours:0.#} h");
                }
                if (!spool.TryPeekOldest(out SpoolEntry entry))
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                    continue;
                }
                ClickHouseReply reply = _tableChecked ? await InsertAsync(entry, stop).ConfigureAwait(false)
                                                      : await CheckTableAsync(stop).ConfigureAwait(false);
                if (reply.Outcome == ClickHouseOutcome.Accepted)
                {
                    backoff = TimeSpan.FromMilliseconds(250);
                    continue;
                }
                if (reply.Outcome == ClickHouseOutcome.RefusedData)
                {
                    // Retrying a batch the server cannot parse would block every batch after it.
                    Reject(entry, reply);
                    continue;
                }
                if (reply.Outcome == ClickHouseOutcome.MissingTable)
                    _tableChecked = false;
                Problem(reply);
                await Task.Delay(backoff, stop).ConfigureAwait(false);
                backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A spooled file that cannot be read is lost, not retried forever.
                if (spool.TryPeekOldest(out SpoolEntry broken))
                {
                    spool.Remove(broken);
                    counters.OnDropped(broken.Rows);
                    losses.Lost(broken.Rows, "unreadable", $"cannot read the spooled batch {broken.Path}: {ex.Message}");
                }
            }
        }
    }

    private void Reject(SpoolEntry entry, ClickHouseReply reply)
    {
        string where;
        try
        {
            spool.Reject(entry);
            where = "moved the batch to " + spool.RejectedDirectory;
        }
        catch (IOException ex)
        {
            where = "deleted the batch, " + ex.Message;
        }
        counters.OnDropped(entry.Rows);
        losses.Lost(entry.Rows, "refused", $"the server refused a batch for its data (code {reply.Code}: {reply.Message}); {where}; going on with the next");
    }

    private async Task<ClickHouseReply> InsertAsync(SpoolEntry entry, CancellationToken stop)
    {
        byte[] body = spool.Read(entry);
        long started = Stopwatch.GetTimestamp();
        ClickHouseReply reply = await _client.InsertAsync(body, stop).ConfigureAwait(false);
        if (reply.Outcome != ClickHouseOutcome.Accepted)
            return reply;
        Latencies?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        spool.Remove(entry);
        counters.OnWritten(entry.Rows);
        if (_problem is not null)
        {
            _problem = null;
            report($"{name}: delivering again; {spool.Rows} events still spooled");
        }
        return reply;
    }

    /// <summary>The table exists with every column we write; else create it (if allowed) or say what is wrong.</summary>
    private async Task<ClickHouseReply> CheckTableAsync(CancellationToken stop)
    {
        ClickHouseReply version = await _client.QueryAsync("SELECT version()", stop).ConfigureAwait(false);
        if (version.Outcome != ClickHouseOutcome.Accepted)
            return version;
        string sql = "SELECT name FROM system.columns WHERE database = " + ClickHouseSchema.Literal(settings.Database)
                   + " AND table = " + ClickHouseSchema.Literal(settings.Table) + " FORMAT TabSeparated";
        ClickHouseReply columns = await _client.QueryAsync(sql, stop).ConfigureAwait(false);
        if (columns.Outcome != ClickHouseOutcome.Accepted)
            return columns;
        var present = new HashSet<string>(columns.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        if (present.Count == 0)
        {
            string table = $"{settings.Database}.{settings.Table}";
            if (!settings.CreateTable)
                return new ClickHouseReply(ClickHouseOutcome.MissingTable, 60,
                    $"table {table} does not exist and create_table is off (procwatch fleet schema prints its DDL)");
            ClickHouseDialect dialect = ClickHouseSchema.DialectOf(version.Body);
            foreach (string statement in ClickHouseSchema.SingleNode(settings.Database, settings.Table, dialect, settings.RetentionDays, settings.HeartbeatTable))
            {
                ClickHouseReply created = await _client.QueryAsync(statement, stop).ConfigureAwait(false);
                if (created.Outcome != ClickHouseOutcome.Accepted)
                    return created with { Outcome = created.Outcome == ClickHouseOutcome.MissingTable ? ClickHouseOutcome.Refused : created.Outcome,
                                          Message = $"cannot create {table}: {created.Message}" };
            }
            report($"{name}: created table {table} (ClickHouse {version.Body.Trim()}, {dialect.ToString().ToLowerInvariant()} schema)");
        }
        else
        {
            var missing = new StringBuilder();
            foreach ((string column, _, _) in ClickHouseSchema.Columns)
            {
                if (present.Contains(column)) continue;
                if (missing.Length > 0) missing.Append(", ");
                missing.Append(column);
            }
            if (missing.Length > 0 && settings.CreateTable)
            {
                ClickHouseReply migrated = await MigrateAsync(present, ClickHouseSchema.DialectOf(version.Body), stop).ConfigureAwait(false);
                if (migrated.Outcome != ClickHouseOutcome.Accepted)
                    return migrated;
                missing.Clear();
            }
            if (missing.Length > 0)
                return new ClickHouseReply(ClickHouseOutcome.Refused, 16,
                    $"schema mismatch: {settings.Database}.{settings.Table} lacks the columns {missing} (procwatch fleet schema prints the DDL)");
        }
        _tableChecked = true;
        return new ClickHouseReply(ClickHouseOutcome.Accepted, 0, "");
    }

    /// <summary>
    /// A table an earlier schema made (single node, create_table on): the columns it lacks are
    /// added one by one (18.16 has no ADD COLUMN IF NOT EXISTS) and the heartbeats table is
    /// created. A Distributed table is left alone: its local tables must change first, on every
    /// node (procwatch fleet schema --migration prints the statements).
    /// </summary>
    private async Task<ClickHouseReply> MigrateAsync(HashSet<string> present, ClickHouseDialect dialect, CancellationToken stop)
    {
        string table = $"{settings.Database}.{settings.Table}";
        ClickHouseReply engine = await _client.QueryAsync("SELECT engine FROM system.tables WHERE database = " + ClickHouseSchema.Literal(settings.Database)
            + " AND name = " + ClickHouseSchema.Literal(settings.Table) + " FORMAT TabSeparated", stop).ConfigureAwait(false);
        if (engine.Outcome != ClickHouseOutcome.Accepted)
            return engine;
        if (engine.Body.Trim() == "Distributed")
            return new ClickHouseReply(ClickHouseOutcome.Refused, 16,
                $"schema mismatch: {table} is a Distributed table of an earlier schema (procwatch fleet schema --cluster NAME --migration prints the ALTERs for its local tables)");
        int added = 0;
        foreach (var column in ClickHouseSchema.Columns)
        {
            if (present.Contains(column.Name)) continue;
            ClickHouseReply altered = await _client.QueryAsync(ClickHouseSchema.AddColumn(settings.Database, settings.Table, column, dialect, onCluster: null), stop).ConfigureAwait(false);
            if (altered.Outcome != ClickHouseOutcome.Accepted)
                return altered with { Message = $"cannot add the column {column.Name} to {table}: {altered.Message}" };
            added++;
        }
        IReadOnlyList<string> schema = ClickHouseSchema.SingleNode(settings.Database, settings.Table, dialect, settings.RetentionDays, settings.HeartbeatTable);
        ClickHouseReply heartbeats = await _client.QueryAsync(schema[^1], stop).ConfigureAwait(false);
        if (heartbeats.Outcome != ClickHouseOutcome.Accepted)
            return heartbeats with { Message = $"cannot create {settings.Database}.{settings.HeartbeatTable}: {heartbeats.Message}" };
        report($"{name}: added {added} columns of the current schema to {table}");
        return new ClickHouseReply(ClickHouseOutcome.Accepted, 0, "");
    }

    /// <summary>One line when a problem starts or changes; retries of the same problem are silent.</summary>
    private void Problem(ClickHouseReply reply)
    {
        if (_problem == (reply.Outcome, reply.Code))
            return;
        _problem = (reply.Outcome, reply.Code);
        string what = reply.Outcome switch
        {
            ClickHouseOutcome.Unreachable => $"cannot reach the server: {reply.Message}",
            ClickHouseOutcome.AuthenticationFailed => $"authentication failed for user '{user ?? "default"}': {reply.Message}",
            ClickHouseOutcome.MissingTable => reply.Message,
            ClickHouseOutcome.Refused or ClickHouseOutcome.RefusedData => $"the server refused the insert: {reply.Message}",
            _ => $"server error (code {reply.Code}): {reply.Message}",
        };
        report($"{name}: {what}; keeping events in the spool ({spool.Rows} events, {spool.Bytes} bytes) and retrying");
    }

    /// <summary>Stop: a little time to send what is spooled (a live server empties it), then the send in flight is abandoned (it stays spooled).</summary>
    public void Dispose()
    {
        var grace = Stopwatch.StartNew();
        Wake();
        while (spool.Count > 0 && _problem is null && grace.Elapsed < TimeSpan.FromSeconds(2))
            Thread.Sleep(10);
        BackgroundLoop.Stop(_stop, _loop);
        _client.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }
}
