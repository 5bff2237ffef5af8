using System.Buffers;
using System.Text.Json;

namespace ProcWatch.Cli.Doctor;

/// <summary>
/// `procwatch doctor --json`: one object for fleet inventory. Written with Utf8JsonWriter
/// (no reflection: NativeAOT); field names are part of the contract documented in docs/cli.md.
/// </summary>
internal static class DoctorJson
{
    public static byte[] Format(HostReport report, int exitCode)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("hostname", report.Hostname);
            w.WriteString("kernel", report.KernelRelease);
            w.WriteBoolean("root", report.IsRoot);

            ConnectorFinding c = report.Connector;
            w.WriteStartObject("connector");
            w.WriteBoolean("available", c.Works);
            w.WriteBoolean("kernel_filter", c.KernelFilter);
            Reason(w, c.Reason);
            w.WriteEndObject();

            EbpfFinding e = report.Ebpf;
            w.WriteStartObject("ebpf");
            w.WriteBoolean("available", e.Works);
            Reason(w, e.Reason);
            w.WriteBoolean("libbpf", e.Libbpf);
            w.WriteBoolean("btf", e.Btf);
            NullableBoolean(w, "capabilities", e.Capabilities);
            w.WriteStartArray("capabilities_held");
            foreach (string name in e.CapabilityNames)
                w.WriteStringValue(name);
            w.WriteEndArray();
            NullableString(w, "lockdown", e.Lockdown);
            NullableString(w, "attach_mode", e.AttachMode);
            AttachFailures(w, e.AttachFailures);
            NullableString(w, "cross_check_count", e.CrossCheckCount);
            NullableString(w, "cross_check_count_reason", e.CrossCheckCountReason);
            w.WriteEndObject();

            if (report.Prevention is { } prevention)
            {
                w.WriteStartObject("prevention");
                w.WriteString("level", Kernel.Enforcement.DenyLevels.Name(prevention.Level));
                NullableString(w, "attach_mode", prevention.AttachMode);
                Reason(w, prevention.Reason);
                AttachFailures(w, prevention.Failures);
                w.WriteEndObject();
            }

            w.WriteStartObject("tracefs");
            w.WriteBoolean("mounted", report.Tracefs.MountPoints.Count > 0);
            w.WriteStartArray("mount_points");
            foreach (string point in report.Tracefs.MountPoints)
                w.WriteStringValue(point);
            w.WriteEndArray();
            w.WriteEndObject();

            CgroupFinding g = report.Cgroup;
            w.WriteStartObject("cgroup");
            w.WriteString("layout", g.Layout);
            NullableString(w, "cgroup2_mount", g.Cgroup2MountPoint);
            w.WriteNumber("v1_hierarchies", g.V1Hierarchies);
            NullableString(w, "path", g.OwnPath);
            w.WriteBoolean("ids_resolve", g.IdsResolve);
            w.WriteEndObject();

            ProcessNamespaceFinding n = report.Namespace;
            w.WriteStartObject("namespace");
            NullableBoolean(w, "initial_pid", n.InitialPidNamespace);
            NullableBoolean(w, "initial_user", n.InitialUserNamespace);
            NullableString(w, "container", n.Container);
            w.WriteString("hidepid", n.HidePid ?? "off"); // as the text says it: "off" when nothing is hidden
            if (n.PidMax is { } max)
                w.WriteNumber("pid_max", max);
            else
                w.WriteNull("pid_max");
            w.WriteEndObject();

            w.WriteStartArray("container_runtimes");
            foreach (ContainerRuntimeFinding r in report.ContainerRuntimes)
            {
                w.WriteStartObject();
                w.WriteString("runtime", r.Runtime);
                w.WriteBoolean("present", r.Present);
                w.WriteBoolean("readable", r.Readable);
                w.WriteString("detail", r.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            AutoBackendFinding a = report.Auto;
            w.WriteStartObject("auto");
            w.WriteString("backend", a.Backend);
            w.WriteBoolean("best", a.IsBest);
            w.WriteStartArray("loses");
            foreach (string loss in a.Loses)
                w.WriteStringValue(loss);
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteNumber("exit_code", exitCode);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Each rung of an attach ladder that did not work, best first (eBPF capture, deny).</summary>
    private static void AttachFailures(Utf8JsonWriter w, IEnumerable<AttachFailure> failures)
    {
        w.WriteStartArray("attach_failures");
        foreach (AttachFailure failure in failures)
        {
            w.WriteStartObject();
            w.WriteString("mode", failure.Mode);
            w.WriteString("reason", failure.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Reason(Utf8JsonWriter w, string? reason) => NullableString(w, "reason", reason);

    private static void NullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteString(name, value);
    }

    private static void NullableBoolean(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } b)
            w.WriteBoolean(name, b);
        else
            w.WriteNull(name);
    }
}
