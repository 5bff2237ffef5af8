using ProcWatch.Containers;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Daemon.Configuration;

internal static partial class ConfigLoader
{
    private sealed partial class Reader
    {
        /// <summary><c>containers:</c> where each runtime keeps its state (absolute paths), or <c>enabled: false</c>.</summary>
        private ContainerOptions ReadContainers(YamlNode node)
        {
            var options = new ContainerOptions();
            foreach ((YamlNode keyNode, YamlNode value) in Mapping(node, "containers").Children)
            {
                string key = Key(keyNode, ConfigSchema.Containers);
                options = key switch
                {
                    "enabled" => options with { Enabled = Boolean(value, key) },
                    "docker" => options with { DockerRoot = AbsolutePath(value, key) },
                    "podman" => options with { PodmanRoot = AbsolutePath(value, key) },
                    "containerd" => options with { ContainerdState = AbsolutePath(value, key) },
                    "containerd_socket" => options with { ContainerdSocket = AbsolutePath(value, key) },
                    "crio" => options with { CrioRunRoot = AbsolutePath(value, key) },
                    _ => throw Error(keyNode, ConfigSchema.Containers.UnknownKey(key)),
                };
            }
            return options;
        }

        private string AbsolutePath(YamlNode node, string key)
        {
            string path = NonEmpty(node, key);
            return path.StartsWith('/') ? path : throw Error(node, $"containers.{key}: '{path}' is not an absolute path");
        }
    }
}
