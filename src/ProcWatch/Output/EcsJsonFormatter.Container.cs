namespace ProcWatch.Output;

/// <summary>
/// <c>container.*</c> (ECS: id, name, image.name, image.tag, runtime, labels) and, for a
/// Kubernetes container, <c>orchestrator.*</c> (ECS: type, namespace, resource.type,
/// resource.name, resource.id = the pod's uid) and <c>kubernetes.container.name</c> (the
/// container's name in its pod, as Beats' kubernetes metadata spells it; ECS has no field).
/// </summary>
internal sealed partial class EcsJsonFormatter
{
    private static void WriteContainer(ref JsonLineWriter w, string id, ContainerIdentity? c)
    {
        w.StartObject("container"u8);
        w.String("id"u8, id);
        if (c is not null)
        {
            if (c.Name is not null) w.String("name"u8, c.Name);
            if (c.ImageName is not null)
            {
                w.StartObject("image"u8);
                w.String("name"u8, c.ImageName);
                if (c.ImageTag is not null)
                {
                    w.StartArray("tag"u8);
                    w.StringItem(c.ImageTag);
                    w.EndArray();
                }
                w.EndObject();
            }
            if (c.Runtime is not null) w.String("runtime"u8, c.Runtime);
            if (c.Labels is { Count: > 0 } labels)
            {
                w.StartObject("labels"u8);
                foreach (KeyValuePair<string, string> label in labels)
                    w.StringProperty(label.Key, label.Value);
                w.EndObject();
            }
        }
        w.EndObject();
        if (c is { PodName: not null })
        {
            w.StartObject("orchestrator"u8);
            w.Ascii("type"u8, "kubernetes"u8);
            if (c.PodNamespace is not null) w.String("namespace"u8, c.PodNamespace);
            w.StartObject("resource"u8);
            w.Ascii("type"u8, "pod"u8);
            w.String("name"u8, c.PodName);
            if (c.PodUid is not null) w.String("id"u8, c.PodUid);
            w.EndObject();
            w.EndObject();
            if (c.PodContainerName is not null)
            {
                w.StartObject("kubernetes"u8);
                w.StartObject("container"u8);
                w.String("name"u8, c.PodContainerName);
                w.EndObject();
                w.EndObject();
            }
        }
    }
}
