using ProcWatch.Containers;
using ProcWatch.Filtering;

namespace ProcWatch.Cli;

/// <summary><c>--container</c>, <c>--pod</c> and <c>--container-runtime</c>, checked with one line per mistake.</summary>
internal static class ContainerArguments
{
    public static ContainerSelector? ParseSelector(string[] containers, string[] pods)
    {
        if (containers.Length == 0 && pods.Length == 0)
            return null;
        var parsedPods = new List<(string, string)>();
        foreach (string pod in pods)
        {
            if (!ContainerSelector.TryParsePod(pod, out (string, string) parsed, out string? error))
                throw new UsageException($"--pod: {error}");
            parsedPods.Add(parsed);
        }
        foreach (string container in containers)
        {
            if (container.Length == 0)
                throw new UsageException("--container needs a name or id (got an empty one)");
        }
        return new ContainerSelector { Containers = containers, Pods = parsedPods };
    }

    public static ContainerOptions ParseRuntimes(string[] values)
    {
        var options = new ContainerOptions();
        foreach (string value in values)
        {
            if (value == "off")
            {
                options = options with { Enabled = false };
                continue;
            }
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            string kind = eq < 0 ? value : value[..eq];
            string path = eq < 0 ? "" : value[(eq + 1)..];
            if (path.Length == 0 || path[0] != '/')
                throw new UsageException($"--container-runtime {value}: expected KIND=/absolute/path (docker, podman, containerd, containerd-socket, crio) or off");
            options = kind switch
            {
                "docker" => options with { DockerRoot = path },
                "podman" => options with { PodmanRoot = path },
                "containerd" => options with { ContainerdState = path },
                "containerd-socket" => options with { ContainerdSocket = path },
                "crio" or "cri-o" => options with { CrioRunRoot = path },
                _ => throw new UsageException($"--container-runtime {value}: unknown runtime '{kind}' (docker, podman, containerd, containerd-socket, crio)"),
            };
        }
        return options;
    }
}
