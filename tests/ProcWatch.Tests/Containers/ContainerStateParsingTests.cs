using System.Text;
using ProcWatch.Containers;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Output;
using Xunit;

namespace ProcWatch.Tests.Containers;

/// <summary>The runtimes' state files and answers, as bytes: what each reader takes from them, and that bad input is refused without a throw.</summary>
public sealed class ContainerStateParsingTests
{
    private const string DockerId = "c156e843394388dac8cd35cbebd0df92efcde9e99e011957069594a14cc1ebfc";

    [Fact]
    public void Docker_config_v2_gives_name_image_tag_labels_and_pod()
    {
        string json = """
            {"ID":"ID","Name":"/web","Config":{"Image":"registry.local:5000/team/api:2.1","Labels":{"app":"api","io.kubernetes.pod.name":"api-0","io.kubernetes.pod.namespace":"prod"}},"Image":"sha256:4ca9"}
            """.Replace("\"ID\":\"ID\"", $"\"ID\":\"{DockerId}\"", StringComparison.Ordinal);
        ContainerIdentity c = DockerStateReader.Parse(DockerId, Encoding.UTF8.GetBytes(json));
        Assert.Equal("web", c.Name);
        Assert.Equal("registry.local:5000/team/api", c.ImageName);
        Assert.Equal("2.1", c.ImageTag);
        Assert.Equal("docker", c.Runtime);
        Assert.Equal("api", c.Labels!["app"]);
        Assert.Equal(("prod", "api-0"), (c.PodNamespace, c.PodName));
        Assert.True(c.Resolved);
    }

    [Fact]
    public void Podman_containers_json_gives_name_and_image_of_the_right_container()
    {
        string json = """
            [{"id":"aaaa","names":["other"],"metadata":"{\"image-name\":\"docker.io/library/nginx:1.25\"}"},
             {"id":"bbbb","names":["pwpod"],"metadata":"{\"image-name\":\"localhost/pwimg:1.0\",\"name\":\"pwpod\"}"}]
            """;
        ContainerIdentity? c = PodmanStateReader.Parse("bbbb", Encoding.UTF8.GetBytes(json));
        Assert.NotNull(c);
        Assert.Equal(("pwpod", "localhost/pwimg", "1.0", "podman"), (c.Name, c.ImageName, c.ImageTag, c.Runtime));
        Assert.Null(PodmanStateReader.Parse("cccc", Encoding.UTF8.GetBytes(json)));
        Assert.Throws<System.Text.Json.JsonException>(() => PodmanStateReader.Parse("bbbb", Encoding.UTF8.GetBytes("{\"not\":\"an array\"}")));
    }

    [Fact]
    public void Crio_bundle_annotations_give_the_kubernetes_identity()
    {
        string json = """
            {"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri-o.ImageName":"quay.io/app/web@sha256:0123","io.kubernetes.cri-o.ContainerName":"k8s_web_web-0_shop_uid_0",
             "io.kubernetes.cri-o.Labels":"{\"io.kubernetes.container.name\":\"web\",\"io.kubernetes.pod.name\":\"web-0\",\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"u-1\"}"}}
            """;
        ContainerIdentity? c = CrioStateReader.Parse("id1", Encoding.UTF8.GetBytes(json));
        Assert.NotNull(c);
        Assert.Equal(("web", "quay.io/app/web", null, "cri-o"), (c.Name, c.ImageName, c.ImageTag, c.Runtime));
        Assert.Equal(("shop", "web-0", "u-1", "web"), (c.PodNamespace, c.PodName, c.PodUid, c.PodContainerName));
    }

    [Fact]
    public void Containerd_get_response_is_decoded_from_protobuf()
    {
        byte[] container = [
            .. Field(1, Encoding.UTF8.GetBytes("pwctr1")),
            .. Field(2, [.. Field(1, Encoding.UTF8.GetBytes("io.kubernetes.pod.name")), .. Field(2, Encoding.UTF8.GetBytes("web-1"))]),
            .. Field(2, [.. Field(1, Encoding.UTF8.GetBytes("io.kubernetes.pod.namespace")), .. Field(2, Encoding.UTF8.GetBytes("shop"))]),
            .. Field(3, Encoding.UTF8.GetBytes("localhost/pwimg:1.0")),
            .. Field(4, Field(1, Encoding.UTF8.GetBytes("io.containerd.runc.v2"))),
            0x40, 0x96, 0x01, // field 8 varint 150: skipped
        ];
        ContainerIdentity? c = ContainerdClient.ParseGetResponse("pwctr1", Field(1, container));
        Assert.NotNull(c);
        Assert.Equal(("pwctr1", "localhost/pwimg", "1.0", "containerd"), (c.Name, c.ImageName, c.ImageTag, c.Runtime));
        Assert.Equal(("shop", "web-1"), (c.PodNamespace, c.PodName));

        // Cut anywhere, the answer is refused or partial, never a throw.
        byte[] whole = Field(1, container);
        for (int cut = 0; cut < whole.Length; cut++)
            _ = ContainerdClient.ParseGetResponse("pwctr1", whole.AsSpan(0, cut));
    }

    [Theory]
    [InlineData("nginx", "nginx", null)]
    [InlineData("nginx:1.25", "nginx", "1.25")]
    [InlineData("registry:5000/team/app", "registry:5000/team/app", null)]
    [InlineData("registry:5000/team/app:v2", "registry:5000/team/app", "v2")]
    [InlineData("quay.io/a/b:3@sha256:abcd", "quay.io/a/b", "3")]
    [InlineData("sha256:4ca972aa8088", "sha256:4ca972aa8088", null)]
    public void Image_references_split_into_name_and_tag(string reference, string name, string? tag) =>
        Assert.Equal((name, tag), ImageReference.Split(reference));

    [Fact]
    public void Cgroup_paths_name_the_runtime()
    {
        Assert.True(ContainerId.TryParse($"/docker/{DockerId}", out ContainerRef docker));
        Assert.Equal(ContainerRuntimeKind.Docker, docker.Runtime);
        Assert.True(ContainerId.TryParse($"/libpod_parent/libpod-{DockerId}", out ContainerRef podman));
        Assert.Equal(ContainerRuntimeKind.Podman, podman.Runtime);
        Assert.True(ContainerId.TryParse($"/system.slice/crio-{DockerId}.scope", out ContainerRef crio));
        Assert.Equal(ContainerRuntimeKind.Crio, crio.Runtime);
        Assert.True(ContainerId.TryParse($"/kubepods/besteffort/pod1234/cri-containerd-{DockerId}.scope", out ContainerRef cri));
        Assert.Equal((ContainerRuntimeKind.Containerd, "k8s.io"), (cri.Runtime, cri.Namespace));
        Assert.True(ContainerId.TryParse($"/kubepods/burstable/pod1234/{DockerId}", out ContainerRef bare));
        Assert.Equal(ContainerRuntimeKind.Unknown, bare.Runtime);
    }

    [Theory]
    [InlineData("/user.slice/user-1000.slice/user@1000.service/app.slice/docker-ID.scope", true)]
    [InlineData("/user.slice/user-1000.slice/user@1000.service", true)]
    [InlineData("/system.slice/docker-ID.scope", false)]
    [InlineData("/user.slice/user-1000.slice/session-3.scope", false)]
    [InlineData("/user.slice/user@abc.service/docker-ID.scope", false)]
    [InlineData("/user.slice/user@1000.services/docker-ID.scope", false)]
    [InlineData("/x/user@.service/docker-ID.scope", false)]
    public void A_users_delegated_subtree_is_recognised(string path, bool inUserSubtree) =>
        Assert.Equal(inUserSubtree, ContainerId.IsInUserSubtree(path));

    /// <summary>
    /// A user can name a cgroup of their delegated subtree <c>docker-ID.scope</c> after root's
    /// real container: their processes keep that bare id, never the container's name and image.
    /// </summary>
    [Fact]
    public void A_container_id_named_in_a_users_subtree_never_gets_roots_container_identity()
    {
        string root = Directory.CreateTempSubdirectory("pw-docker-").FullName;
        try
        {
            Directory.CreateDirectory($"{root}/containers/{DockerId}");
            File.WriteAllText($"{root}/containers/{DockerId}/config.v2.json",
                "{\"ID\":\"" + DockerId + "\",\"Name\":\"/web\",\"Config\":{\"Image\":\"nginx:1.25\"}}");
            using var resolver = new ContainerResolver(new ContainerOptions
            {
                DockerRoot = root, PodmanRoot = $"{root}/none", CrioRunRoot = $"{root}/none", ContainerdSocket = $"{root}/none.sock",
            });
            ContainerIdentity? real = null;
            Assert.True(SpinWait.SpinUntil(() => (real = resolver.Find(DockerId, $"/system.slice/docker-{DockerId}.scope")) is { Resolved: true },
                TimeSpan.FromSeconds(30)));
            Assert.Equal("web", real!.Name);

            ContainerIdentity? claimed = resolver.Find(DockerId, $"/user.slice/user-1000.slice/user@1000.service/app.slice/docker-{DockerId}.scope");
            Assert.NotNull(claimed);
            Assert.Equal(DockerId, claimed.Id);
            Assert.Null(claimed.Name);
            Assert.Null(claimed.ImageName);
            Assert.False(claimed.Resolved);
            // And root's container keeps its identity.
            Assert.Equal("web", resolver.Find(DockerId, $"/system.slice/docker-{DockerId}.scope")!.Name);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The id a user's cgroup claims never selects root's container (--container, a rule's container: key); root's own cgroup does.</summary>
    [Fact]
    public void A_container_id_claimed_in_a_users_subtree_selects_nothing()
    {
        var real = new ProcessInfo { Pid = 10, ContainerId = DockerId, CgroupPath = $"/system.slice/docker-{DockerId}.scope" };
        var claim = new ProcessInfo { Pid = 11, ContainerId = DockerId, CgroupPath = $"/user.slice/user-1000.slice/user@1000.service/app.slice/docker-{DockerId}.scope" };
        Assert.True(ProcWatch.Filtering.ContainerSelector.NamesContainer(real, DockerId));
        Assert.True(ProcWatch.Filtering.ContainerSelector.NamesContainer(real, DockerId[..12]));
        Assert.False(ProcWatch.Filtering.ContainerSelector.NamesContainer(claim, DockerId));
        Assert.False(ProcWatch.Filtering.ContainerSelector.NamesContainer(claim, DockerId[..12]));
    }

    [Fact]
    public void Containerds_own_cgroups_are_containers_only_when_containerd_runs_that_task()
    {
        string state = Directory.CreateTempSubdirectory("pw-ctrd-").FullName;
        try
        {
            Directory.CreateDirectory($"{state}/io.containerd.runtime.v2.task/default/pwctr1");
            string[] states = [state];
            Assert.True(ContainerdCgroup.TryParse("/default/pwctr1", states, out ContainerRef c));
            Assert.Equal(("pwctr1", ContainerRuntimeKind.Containerd, "default"), (c.Id, c.Runtime, c.Namespace));
            // The same shape without a task, and ordinary cgroups, are not containers.
            foreach (string path in (string[])["/default/pwctr2", "/user.slice/user-0.slice", "/system.slice/cron.service",
                "/user.slice/user-0.slice/session-3.scope", "/", "/default/../../etc", "/default/pwctr1/extra"])
            {
                Assert.False(ContainerdCgroup.TryParse(path, states, out _), path);
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public void Ecs_json_has_the_container_the_pod_and_the_entry()
    {
        var info = new ProcessInfo
        {
            Pid = 42,
            ContainerId = "pwctr1",
            ContainerEntry = true,
            Container = new ContainerIdentity
            {
                Id = "pwctr1", Name = "app", ImageName = "localhost/pwimg", ImageTag = "1.0", Runtime = "containerd", Resolved = true,
                Labels = new Dictionary<string, string> { ["io.kubernetes.pod.name"] = "web-1", ["evil\"key\n"] = "\u001b[31mred" },
                PodName = "web-1", PodNamespace = "shop", PodUid = "u-1", PodContainerName = "app",
            },
        };
        var e = new ExecEvent { Pid = 42, Tid = 42, KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Process = info };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        new EcsJsonFormatter("host").Write(e, buffer);
        using var doc = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
        var root = doc.RootElement;
        var container = root.GetProperty("container");
        Assert.Equal("app", container.GetProperty("name").GetString());
        Assert.Equal("localhost/pwimg", container.GetProperty("image").GetProperty("name").GetString());
        Assert.Equal("1.0", container.GetProperty("image").GetProperty("tag")[0].GetString());
        Assert.Equal("containerd", container.GetProperty("runtime").GetString());
        Assert.Equal("\u001b[31mred", container.GetProperty("labels").GetProperty("evil\"key\n").GetString());
        var orchestrator = root.GetProperty("orchestrator");
        Assert.Equal("kubernetes", orchestrator.GetProperty("type").GetString());
        Assert.Equal("shop", orchestrator.GetProperty("namespace").GetString());
        Assert.Equal("pod", orchestrator.GetProperty("resource").GetProperty("type").GetString());
        Assert.Equal("web-1", orchestrator.GetProperty("resource").GetProperty("name").GetString());
        Assert.Equal("u-1", orchestrator.GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal("app", root.GetProperty("kubernetes").GetProperty("container").GetProperty("name").GetString());
        Assert.True(root.GetProperty("procwatch").GetProperty("container_entry").GetBoolean());
    }

    private static byte[] Field(int number, byte[] value)
    {
        var bytes = new List<byte> { (byte)((number << 3) | 2) };
        for (uint n = (uint)value.Length; ; n >>= 7)
        {
            bytes.Add(n < 0x80 ? (byte)n : (byte)(n | 0x80));
            if (n < 0x80)
                break;
        }
        bytes.AddRange(value);
        return [.. bytes];
    }
}
