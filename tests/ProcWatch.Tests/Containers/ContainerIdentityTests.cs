using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Daemon;
using Xunit;

namespace ProcWatch.Tests.Containers;

/// <summary>
/// Real runtimes (dockerd, containerd, podman) running containers of a locally built busybox
/// image: procwatch reports the container's name, image, tag, runtime and pod, marks
/// <c>exec</c>s into them as entries, and filters and rules select by them. A new container's
/// first events may carry only its id (its runtime is read in the background), so each test
/// execs into the container until an event carries the identity, then checks every field.
/// </summary>
[Collection(ContainerRuntimesCollection.Name)]
public sealed class ContainerIdentityTests(ContainerRuntimes runtimes)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [ContainerFact]
    public void Docker_exec_carries_the_containers_name_image_tag_runtime_and_labels_and_is_an_entry()
    {
        runtimes.EnsureStarted();
        string name = runtimes.NewName("pwdock");
        runtimes.Docker("run", "-d", "--name", name, "--label", "team=procwatch", "--network", "none", "pwimg:1.0", "/bin/sleep", "600");
        using CliProcess watch = Watch();

        JsonElement exec = ExecUntilIdentified(watch, token => runtimes.Docker("exec", name, "/bin/echo", token));

        Assert.Equal(name, exec.Str("container.name"));
        Assert.Equal("pwimg", exec.Str("container.image.name"));
        Assert.Equal("1.0", exec.At("container.image.tag")[0].GetString());
        Assert.Equal("docker", exec.Str("container.runtime"));
        Assert.Equal("procwatch", exec.At("container.labels").GetProperty("team").GetString());
        Assert.Matches("^[0-9a-f]{64}$", exec.Str("container.id"));
        Assert.Equal(runtimes.Docker("inspect", "-f", "{{.Id}}", name).Trim(), exec.Str("container.id"));
        Assert.True(exec.At("procwatch.container_entry").GetBoolean());
        // The process that did it: runc exec, or (when runc has already gone) the shim that adopted the
        // process. Its pid is always there; its name only when the process table still knew it (a
        // clean-clone run once saw none: runc had already gone when the exec was enriched).
        Assert.True(exec.At("process.parent.pid").GetInt32() > 0);
        if (exec.Str("process.parent.name") is { } parentName)
            Assert.Contains(parentName, (string[])["runc", "containerd-shim"]);
        Assert.Null(exec.Str("orchestrator.type"));
    }

    [ContainerFact]
    public void Podman_exec_carries_the_containers_name_image_tag_and_runtime_and_is_an_entry()
    {
        runtimes.EnsureStarted();
        string name = runtimes.NewName("pwpod");
        runtimes.Podman("run", "-d", "--name", name, "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "localhost/pwimg:1.0", "/bin/sleep", "600");
        using CliProcess watch = Watch();

        JsonElement exec = ExecUntilIdentified(watch, token => runtimes.Podman("exec", name, "/bin/echo", token));

        Assert.Equal(name, exec.Str("container.name"));
        Assert.Equal("localhost/pwimg", exec.Str("container.image.name"));
        Assert.Equal("1.0", exec.At("container.image.tag")[0].GetString());
        Assert.Equal("podman", exec.Str("container.runtime"));
        Assert.Equal(runtimes.Podman("inspect", "-f", "{{.Id}}", name).Trim(), exec.Str("container.id"));
        Assert.True(exec.At("procwatch.container_entry").GetBoolean());
    }

    [ContainerFact]
    public void A_kubernetes_labelled_containerd_container_gives_its_pod()
    {
        runtimes.EnsureStarted();
        string name = runtimes.NewName("pwctr");
        runtimes.Ctr("run", "-d", "--label", "io.kubernetes.pod.name=web-7f9c", "--label", "io.kubernetes.pod.namespace=shop",
            "--label", "io.kubernetes.pod.uid=0c5b1f5e-7d7e-4c1e-9a51-1f0b8f2c9d11", "--label", "io.kubernetes.container.name=app",
            "localhost/pwimg:1.0", name, "/bin/sleep", "600");
        using CliProcess watch = Watch();

        int n = 0;
        JsonElement exec = ExecUntilIdentified(watch, token => runtimes.Ctr("task", "exec", "--exec-id", $"e{n++}", name, "/bin/echo", token));

        // containerd's own cgroup scheme, /NAMESPACE/ID: the id is the container's name.
        Assert.Equal(name, exec.Str("container.id"));
        Assert.Equal($"/default/{name}", exec.Str("procwatch.cgroup"));
        Assert.Equal("app", exec.Str("container.name"));
        Assert.Equal("localhost/pwimg", exec.Str("container.image.name"));
        Assert.Equal("1.0", exec.At("container.image.tag")[0].GetString());
        Assert.Equal("containerd", exec.Str("container.runtime"));
        Assert.Equal("kubernetes", exec.Str("orchestrator.type"));
        Assert.Equal("shop", exec.Str("orchestrator.namespace"));
        Assert.Equal("pod", exec.Str("orchestrator.resource.type"));
        Assert.Equal("web-7f9c", exec.Str("orchestrator.resource.name"));
        Assert.Equal("0c5b1f5e-7d7e-4c1e-9a51-1f0b8f2c9d11", exec.Str("orchestrator.resource.id"));
        Assert.Equal("app", exec.Str("kubernetes.container.name"));
        Assert.Equal("web-7f9c", exec.At("container.labels").GetProperty("io.kubernetes.pod.name").GetString());
        Assert.True(exec.At("procwatch.container_entry").GetBoolean());
    }

    [ContainerFact]
    public void The_container_filter_reports_only_that_containers_processes()
    {
        runtimes.EnsureStarted();
        string name = runtimes.NewName("pwfilt");
        string other = runtimes.NewName("pwother");
        runtimes.Docker("run", "-d", "--name", name, "--network", "none", "pwimg:1.0", "/bin/sleep", "600");
        runtimes.Docker("run", "-d", "--name", other, "--network", "none", "pwimg:1.0", "/bin/sleep", "600");
        using CliProcess watch = Watch("--container", name);

        string hostToken = $"pwhost{Guid.NewGuid():N}";
        string otherToken = $"pwother{Guid.NewGuid():N}";
        JsonElement exec = ExecUntilIdentified(watch, token =>
        {
            ContainerRuntimes.Run("/bin/echo", [hostToken]);
            runtimes.Docker("exec", other, "/bin/echo", otherToken);
            runtimes.Docker("exec", name, "/bin/echo", token);
        });

        Assert.Equal(name, exec.Str("container.name"));
        // Later events of the same container pass too; the host's and the other container's never.
        string last = $"pwlast{Guid.NewGuid():N}";
        runtimes.Docker("exec", name, "/bin/echo", last);
        Assert.True(watch.WaitUntil(() => watch.Stdout.Contains(last, StringComparison.Ordinal), Deadline), "the container's later exec was not reported");
        Assert.DoesNotContain(hostToken, watch.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(otherToken, watch.Stdout, StringComparison.Ordinal);
    }

    [ContainerFact]
    public void A_daemon_rule_on_an_image_name_alerts_for_execs_in_its_containers_only()
    {
        runtimes.EnsureStarted();
        string name = runtimes.NewName("pwrule");
        runtimes.Docker("run", "-d", "--name", name, "--network", "none", "pwimg:1.0", "/bin/sleep", "600");
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            containers:
              docker: {runtimes.DockerData}
            rules:
              - name: busybox-image-echo
                severity: high
                match:
                  image: "pwimg:1.*"
                  args: "pwrule"
            """);
        using var daemon = DaemonUnderTest.Start(config);

        string hostToken = $"pwrulehost{Guid.NewGuid():N}";
        int n = 0;
        string? alerted = null;
        Poll.Until(() =>
        {
            string token = $"pwrule{n++}x{Guid.NewGuid():N}";
            ContainerRuntimes.Run("/bin/echo", [hostToken]);
            runtimes.Docker("exec", name, "/bin/echo", token);
            Thread.Sleep(200);
            alerted = EventFiles.Lines(dir.Path).Select(EventFiles.Parse)
                .FirstOrDefault(e => e.Str("event.kind") == "alert" && e.Args().Any(a => a.StartsWith("pwrule", StringComparison.Ordinal)))
                .Str("rule.name");
            return alerted is not null;
        }, Deadline, () => $"no alert; stderr:\n{daemon.Stderr}");

        Assert.Equal("busybox-image-echo", alerted);
        JsonElement alert = EventFiles.Lines(dir.Path).Select(EventFiles.Parse).First(e => e.Str("event.kind") == "alert");
        Assert.Equal(name, alert.Str("container.name"));
        Assert.DoesNotContain(EventFiles.Lines(dir.Path).Select(EventFiles.Parse),
            e => e.Str("event.kind") == "alert" && e.Args().Contains(hostToken));
    }

    [ContainerFact]
    public void Doctor_lists_the_runtimes_it_found_and_whether_it_can_read_them()
    {
        runtimes.EnsureStarted();
        (int code, string stdout, string stderr) = CliRunner.Run(["doctor", "--json", .. runtimes.RuntimeArguments]);
        Assert.True(code is 0 or 3 or 4, stderr);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        var found = doc.RootElement.GetProperty("container_runtimes").EnumerateArray()
            .ToDictionary(r => r.GetProperty("runtime").GetString()!, r => (Present: r.GetProperty("present").GetBoolean(), Readable: r.GetProperty("readable").GetBoolean()));
        Assert.Equal((true, true), found["docker"]);
        Assert.Equal((true, true), found["podman"]);
        Assert.Equal((true, true), found["containerd"]);
        Assert.True(found.ContainsKey("cri-o"));
    }

    private CliProcess Watch(params string[] extra)
    {
        CliProcess watch = CliRunner.Start(["-f", "json", "-e", "exec", "-v", .. runtimes.RuntimeArguments, .. extra]);
        watch.WaitForReady();
        return watch;
    }

    /// <summary>Runs <paramref name="execIn"/> with fresh tokens until procwatch reports one of them with the container's name.</summary>
    private static JsonElement ExecUntilIdentified(CliProcess watch, Action<string> execIn)
    {
        JsonElement? found = null;
        int n = 0;
        bool ok = watch.WaitUntil(() =>
        {
            execIn($"pwtok{n++}x{Guid.NewGuid():N}");
            Thread.Sleep(200);
            foreach (string line in watch.StdoutLines())
            {
                if (!line.Contains("pwtok", StringComparison.Ordinal))
                    continue;
                JsonElement e = EventFiles.Parse(line);
                if (e.Str("container.name") is not null && e.Args().Any(a => a.StartsWith("pwtok", StringComparison.Ordinal)))
                {
                    found = e;
                    return true;
                }
            }
            return false;
        }, Deadline);
        Assert.True(ok && found is not null, $"no exec with the container's identity; stdout:\n{watch.Stdout}\nstderr:\n{watch.Stderr}");
        return found!.Value;
    }
}
