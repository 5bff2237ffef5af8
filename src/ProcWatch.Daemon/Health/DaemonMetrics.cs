using System.Diagnostics;
using System.Globalization;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Daemon.Outputs;
using ProcWatch.Output.Sinks;
using ProcWatch.Rules;
using ProcWatch.Watching;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// The daemon's counters — events by kind, losses, output drops, rule hits, action results,
/// kills — rendered as Prometheus text (the status socket, <c>/metrics</c>) and as one log line.
/// Counters are updated by their owners with interlocked operations; rendering reads them.
/// </summary>
internal sealed class DaemonMetrics
{
    private readonly WatcherStatistics _watcher;
    private readonly IReadOnlyList<IOutputSink> _outputs;
    private readonly ActionCounters _actions;
    /// <summary>The rules and their hit counters, replaced together when the rules are reloaded.</summary>
    private volatile RuleCounters _ruleCounters;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _alerts;
    private long _kills;
    private long _killFailures;
    private long _killsGone;
    private long _killsUncertain;

    private readonly Flood.UserFloodGuard? _flood;

    public DaemonMetrics(WatcherStatistics watcher, IReadOnlyList<IOutputSink> outputs, IReadOnlyList<CompiledRule> rules, ActionCounters actions,
        Flood.UserFloodGuard? flood = null)
    {
        _flood = flood;
        _watcher = watcher;
        _outputs = outputs;
        _actions = actions;
        _ruleCounters = new RuleCounters(rules, new long[rules.Count]);
    }

    private sealed record RuleCounters(IReadOnlyList<CompiledRule> Rules, long[] Hits);

    /// <summary>Hits of rule <paramref name="rule"/> (an index into the rules in force).</summary>
    public long RuleHits(int rule) => Volatile.Read(ref _ruleCounters.Hits[rule]);

    /// <summary>
    /// New rules in force (a reload): a rule that keeps its name keeps its count, so the
    /// Prometheus counter per rule never goes backwards. The caller serialises this with
    /// <see cref="OnRuleHit"/> (both run under the daemon's event lock).
    /// </summary>
    public void ReplaceRules(IReadOnlyList<CompiledRule> rules)
    {
        RuleCounters old = _ruleCounters;
        long[] hits = new long[rules.Count];
        for (int i = 0; i < rules.Count; i++)
        {
            for (int j = 0; j < old.Rules.Count; j++)
            {
                if (old.Rules[j].Name == rules[i].Name)
                {
                    hits[i] = Volatile.Read(ref old.Hits[j]);
                    break;
                }
            }
        }
        _ruleCounters = new RuleCounters(rules, hits);
    }
    public long Alerts => Volatile.Read(ref _alerts);

    /// <summary>The deny-rule enforcement, when the daemon has deny rules (set once the watcher started).</summary>
    public Kernel.Enforcement.DenyEnforcer? Enforcer { get; set; }

    public void OnRuleHit(int rule) => Interlocked.Increment(ref _ruleCounters.Hits[rule]);
    public void OnAlert() => Interlocked.Increment(ref _alerts);
    public void OnKill(bool succeeded) => Interlocked.Increment(ref succeeded ? ref _kills : ref _killFailures);

    /// <summary>A kill found its process already gone (or its pid taken by another): nothing signalled.</summary>
    public void OnKillGone() => Interlocked.Increment(ref _killsGone);

    /// <summary>A kill whose process could not be proven to be the event's (procfs without a held pidfd, a changed executable): nothing signalled.</summary>
    public void OnKillUncertain() => Interlocked.Increment(ref _killsUncertain);

    /// <param name="view">What the reader may see: <see cref="MetricsView.Public"/> stops before the detection counters.</param>
    public string RenderPrometheus(MetricsView view)
    {
        var sb = new StringBuilder(4096);
        Header(sb, "procwatch_info", "gauge", "Constant 1; labels say which daemon answers.");
        sb.Append("procwatch_info{version=\"").Append(Escape(typeof(DaemonMetrics).Assembly.GetName().Version?.ToString(3) ?? "?"))
          .Append("\",pid=\"").Append(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)).Append("\"} 1\n");
        Header(sb, "procwatch_uptime_seconds", "gauge", "Seconds since the daemon started.");
        sb.Append("procwatch_uptime_seconds ").Append(Stopwatch.GetElapsedTime(_started).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');

        Header(sb, "procwatch_events_total", "counter", "Events received from the kernel, by kind.");
        foreach (ProcessEventKind kind in Enum.GetValues<ProcessEventKind>())
            Line(sb, "procwatch_events_total", "kind", kind.Name(), _watcher.Count(kind));
        Family(sb, "procwatch_losses_total", "Ways events were lost: kernel buffer overruns (each an unknown number), queue drops, sequence gaps, eBPF ring buffer drops, eBPF cross-check shortfalls.", "reason",
            ("kernel_buffer_overrun", _watcher.KernelOverruns), ("queue_full", _watcher.QueueDrops), ("sequence_gap", _watcher.SequenceGaps),
            ("ring_buffer_full", _watcher.RingBufferDrops), ("cross_check", _watcher.CrossCheckShortfalls), ("malformed", _watcher.Malformed));

        Header(sb, "procwatch_output_lines_total", "counter", "Lines (events and alerts) written, by output.");
        foreach (IOutputSink output in _outputs)
            Line(sb, "procwatch_output_lines_total", "output", output.Name, output.Counters.Written);
        Header(sb, "procwatch_output_dropped_total", "counter", "Lines an output could not take (disk full, receiver absent), by output.");
        foreach (IOutputSink output in _outputs)
            Line(sb, "procwatch_output_dropped_total", "output", output.Name, output.Counters.Dropped);

        RenderSpools(sb);
        if (_flood is not null)
        {
            // Public: a user whose events are cut is told so anyway (the alert), and an operator needs to see it.
            Header(sb, "procwatch_flood_alerts_total", "counter", "Users found flooding (one alert per user per minute).");
            sb.Append("procwatch_flood_alerts_total ").Append(_flood.Alerts.ToString(CultureInfo.InvariantCulture)).Append('\n');
            Header(sb, "procwatch_flood_cut_events_total", "counter", "Events written with their arguments cut because their user was flooding.");
            sb.Append("procwatch_flood_cut_events_total ").Append(_flood.CutEvents.ToString(CultureInfo.InvariantCulture)).Append('\n');
            Header(sb, "procwatch_flood_cut_bytes_total", "counter", "Argument bytes cut from flooding users' events.");
            sb.Append("procwatch_flood_cut_bytes_total ").Append(_flood.CutBytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        if (view == MetricsView.Public)
            return sb.ToString(); // rule names, hits, alerts and kills would tell an attacker whether an evasion worked

        Header(sb, "procwatch_rule_hits_total", "counter", "Events that matched, by rule.");
        RuleCounters rules = _ruleCounters;
        for (int i = 0; i < rules.Rules.Count; i++)
            Line(sb, "procwatch_rule_hits_total", "rule", rules.Rules[i].Name, Volatile.Read(ref rules.Hits[i]));
        Header(sb, "procwatch_alerts_total", "counter", "Alerts written.");
        sb.Append("procwatch_alerts_total ").Append(Alerts.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Header(sb, "procwatch_actions_total", "counter", "exec actions, by result.");
        for (int i = 0; i < ActionCounters.Labels.Length; i++)
            Line(sb, "procwatch_actions_total", "result", ActionCounters.Labels[i], _actions[(ActionOutcome)i]);
        Family(sb, "procwatch_kills_total", "kill actions, by result.", "result",
            ("killed", Volatile.Read(ref _kills)), ("failed", Volatile.Read(ref _killFailures)), ("gone", Volatile.Read(ref _killsGone)),
            ("not_certain", Volatile.Read(ref _killsUncertain)));
        Header(sb, "procwatch_pins_evicted_total", "counter", "procfs backend: process pidfds released to stay within the pool (a kill that needed one is not done).");
        sb.Append("procwatch_pins_evicted_total ").Append(Kernel.Pinning.ProcessPinPool.EvictedTotal.ToString(CultureInfo.InvariantCulture)).Append('\n');
        RenderDenials(sb);
        return sb.ToString();
    }

    /// <summary>Deny rules: the level in force, denials (and audited would-be denials) per rule, records lost.</summary>
    private void RenderDenials(StringBuilder sb)
    {
        if (Enforcer is not { } enforcer)
            return;
        Header(sb, "procwatch_deny_level", "gauge", "Deny-rule enforcement in force: 1 on the line of its level (lsm, fanotify, signal, post-exec-kill).");
        sb.Append("procwatch_deny_level{level=\"").Append(Kernel.Enforcement.DenyLevels.Name(enforcer.Level)).Append("\"} 1\n");
        Header(sb, "procwatch_denials_total", "counter", "Execs refused (audit rules: would have been refused), by rule, as reported.");
        foreach ((string rule, long count) in enforcer.PerRule.OrderBy(p => p.Key, StringComparer.Ordinal))
            Line(sb, "procwatch_denials_total", "rule", rule, count);
        Family(sb, "procwatch_deny_kernel_total", "Counted in the kernel: denied, audited, and denial records the ring could not hold.", "what",
            ("denied", (long)enforcer.KernelDenied), ("audited", (long)enforcer.KernelAudited), ("record_lost", (long)enforcer.Drops));
        if (enforcer.Gate is { } gate)
        {
            Family(sb, "procwatch_deny_fanotify_total", "The fanotify gate: exec permission events answered, denied, audited, allowed after an internal error, answers not taken, ignore marks added, denial events its hand-off could not hold, denials reported without argv (reading the caller's memory was too slow), execs allowed unjudged past the answer deadline (the backstop judged them), verdicts reached after it (dropped).", "what",
                ("events", gate.Events), ("denied", gate.Denied), ("audited", gate.Audited), ("error_allowed", gate.Errors),
                ("answer_failed", gate.AnswerFailures), ("ignore_marks", gate.IgnoreMarks), ("event_lost", enforcer.GateDrops), ("argv_skipped", gate.ArgvSkipped),
                ("deadline_allowed", gate.DeadlineAllowed), ("late_verdict", gate.LateVerdicts));
            Family(sb, "procwatch_deny_fanotify_hash_total", "sha256 rules at the fanotify level: files hashed before their exec was answered, and files answered without their hash (too large, unreadable or rewritten while read, over the gate's hashing budget): their first exec ran.", "what",
                ("hashed", gate.Judge.HashedBeforeAnswer), ("too_large", gate.Judge.TooLargeToHash), ("unhashable", gate.Judge.Unhashable), ("over_budget", gate.Judge.OverBudget));
        }
    }

    /// <summary>The backlog of outputs that spool (ClickHouse): what a down or slow server has left waiting.</summary>
    private void RenderSpools(StringBuilder sb)
    {
        bool any = false;
        foreach (IOutputSink output in _outputs) any |= output is ISpooledOutput;
        if (!any) return;
        Header(sb, "procwatch_output_spool_bytes", "gauge", "Bytes of batches spooled on disk waiting for the server, by output.");
        foreach (IOutputSink output in _outputs)
            if (output is ISpooledOutput spooled) Line(sb, "procwatch_output_spool_bytes", "output", spooled.Name, spooled.SpoolBytes);
        Header(sb, "procwatch_output_spool_batches", "gauge", "Batches spooled on disk waiting for the server, by output.");
        foreach (IOutputSink output in _outputs)
            if (output is ISpooledOutput spooled) Line(sb, "procwatch_output_spool_batches", "output", spooled.Name, spooled.SpoolBatches);
        Header(sb, "procwatch_output_pending_rows", "gauge", "Rows not yet accepted by the server (open batch, memory queue, spool), by output.");
        foreach (IOutputSink output in _outputs)
            if (output is ISpooledOutput spooled) Line(sb, "procwatch_output_pending_rows", "output", spooled.Name, spooled.PendingRows);
    }

    /// <summary>The totals a heartbeat row carries: events in, events lost on the way in, rows outputs dropped, alerts.</summary>
    public Outputs.ClickHouse.HeartbeatCounters Heartbeat(string backend, string enforcement)
    {
        long dropped = 0;
        foreach (IOutputSink output in _outputs)
            dropped += output.Counters.Dropped;
        long losses = _watcher.KernelOverruns + _watcher.QueueDrops + _watcher.SequenceGaps + _watcher.RingBufferDrops + _watcher.Malformed;
        return new Outputs.ClickHouse.HeartbeatCounters(_watcher.Total, losses, dropped, Alerts, backend, enforcement);
    }

    /// <summary>One line for the periodic log.</summary>
    public string Summary()
    {
        long written = 0, dropped = 0, hits = 0;
        foreach (IOutputSink output in _outputs)
        {
            written += output.Counters.Written;
            dropped += output.Counters.Dropped;
        }
        RuleCounters rules = _ruleCounters;
        for (int i = 0; i < rules.Hits.Length; i++) hits += Volatile.Read(ref rules.Hits[i]);
        return string.Create(CultureInfo.InvariantCulture,
            $"events exec={_watcher.Count(ProcessEventKind.Exec)} exit={_watcher.Count(ProcessEventKind.Exit)} fork={_watcher.Count(ProcessEventKind.Fork)} total={_watcher.Total}; " +
            $"losses overruns={_watcher.KernelOverruns} queue={_watcher.QueueDrops} gaps={_watcher.SequenceGaps}; " +
            $"output lines={written} dropped={dropped}; rule hits={hits} alerts={Alerts}; " +
            $"actions ok={_actions[ActionOutcome.Succeeded]} failed={_actions[ActionOutcome.Failed]} timed_out={_actions[ActionOutcome.TimedOut]} " +
            $"rate_limited={_actions[ActionOutcome.RateLimited]} queue_full={_actions[ActionOutcome.QueueFull]}; " +
            $"kills={Volatile.Read(ref _kills)}; " +
            $"flood alerts={_flood?.Alerts ?? 0} cut events={_flood?.CutEvents ?? 0} cut bytes={_flood?.CutBytes ?? 0}");
    }

    /// <summary>A counter with a fixed set of label values: its header, then one line a value.</summary>
    private static void Family(StringBuilder sb, string name, string help, string label, params ReadOnlySpan<(string Value, long Count)> lines)
    {
        Header(sb, name, "counter", help);
        foreach ((string value, long count) in lines)
            Line(sb, name, label, value, count);
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder sb, string name, string label, string value, long count) =>
        sb.Append(name).Append('{').Append(label).Append("=\"").Append(Escape(value)).Append("\"} ")
          .Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');

    // Prometheus label values escape backslash, quote and newline.
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
