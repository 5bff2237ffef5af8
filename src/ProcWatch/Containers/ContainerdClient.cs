using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ProcWatch.Containers;

/// <summary>
/// containerd: its gRPC API on the unix socket, one unary call per container,
/// <c>containerd.services.containers.v1.Containers/Get</c> in the container's namespace (the
/// <c>containerd-namespace</c> header). The answer carries the labels (kubelet's
/// <c>io.kubernetes.*</c> for CRI containers, <c>ctr run --label</c> ones) and the image name,
/// which containerd keeps only in its metadata database, not in the task's bundle. The call is
/// made by hand (HTTP/2 without TLS, the 5-byte gRPC frame, two protobuf messages) so that no
/// generated code or gRPC library is needed.
/// </summary>
internal sealed class ContainerdClient(string socketPath, string stateDirectory) : IContainerRuntimeReader, IDisposable
{
    private const string GetMethod = "/containerd.services.containers.v1.Containers/Get";
    private const string VersionMethod = "/containerd.services.version.v1.Version/Version";
    private const int GrpcNotFound = 5;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private HttpClient? _http;

    public string Runtime => "containerd";

    public string Source => socketPath;

    public (bool Present, bool Readable, string Detail) Probe()
    {
        if (!File.Exists(socketPath))
            return (false, false, $"{socketPath} not found");
        (int status, _, string? error) = Call(VersionMethod, null, []);
        return error is null && status == 0 ? (true, true, $"{socketPath} answers") : (true, false, $"{socketPath}: {error ?? $"grpc-status {status}"}");
    }

    public ContainerLookup Read(string id, string? containerdNamespace)
    {
        if (!File.Exists(socketPath))
            return ContainerLookup.Absent;
        string ns = containerdNamespace ?? "k8s.io";
        (int status, byte[] body, string? error) = Call(GetMethod, ns, ProtobufReader.StringField(1, id));
        if (error is not null)
            return ContainerLookup.Failed($"{socketPath}: {error}");
        if (status == GrpcNotFound)
            return ContainerLookup.NotFound;
        if (status != 0)
            return ContainerLookup.Failed($"{socketPath}: Containers/Get answered grpc-status {status}");
        return ParseGetResponse(id, body) is { } identity ? ContainerLookup.Found(identity) : ContainerLookup.Failed($"{socketPath}: unreadable Containers/Get answer");
    }

    /// <summary>GetContainerResponse { Container container = 1; } Container { id = 1; map labels = 2; image = 3; Runtime runtime = 4 }.</summary>
    internal static ContainerIdentity? ParseGetResponse(string id, ReadOnlySpan<byte> response)
    {
        var outer = new ProtobufReader(response);
        while (outer.TryReadField(out int field, out int wire, out ReadOnlySpan<byte> container))
        {
            if (field != 1 || wire != 2)
                continue;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string? image = null;
            var fields = new ProtobufReader(container);
            while (fields.TryReadField(out int f, out int w, out ReadOnlySpan<byte> value))
            {
                if (w != 2)
                    continue;
                if (f == 2)
                    ReadLabel(value, labels);
                else if (f == 3)
                    image = ProtobufReader.Text(value);
            }
            return KubernetesLabels.CriContainer(id, "containerd", runtimeName: id, image, labels);
        }
        return null;
    }

    private static void ReadLabel(ReadOnlySpan<byte> entry, Dictionary<string, string> labels)
    {
        var reader = new ProtobufReader(entry);
        string? key = null, value = null;
        while (reader.TryReadField(out int f, out int w, out ReadOnlySpan<byte> bytes))
        {
            if (w == 2 && f == 1) key = ProtobufReader.Text(bytes);
            else if (w == 2 && f == 2) value = ProtobufReader.Text(bytes);
        }
        if (key is not null)
            KubernetesLabels.TryAdd(labels, key, value ?? "");
    }

    private (int Status, byte[] Body, string? Error) Call(string method, string? ns, byte[] message)
    {
        try
        {
            return CallAsync(method, ns, message).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or TaskCanceledException or InvalidOperationException)
        {
            return (-1, [], (ex.InnerException ?? ex).Message);
        }
    }

    private async Task<(int Status, byte[] Body, string? Error)> CallAsync(string method, string? ns, byte[] message)
    {
        _http ??= new HttpClient(new SocketsHttpHandler { ConnectCallback = ConnectAsync, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = CallTimeout,
        };
        byte[] frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://containerd" + method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (ns is not null)
            request.Headers.TryAddWithoutValidation("containerd-namespace", ns);
        using HttpResponseMessage response = await _http.SendAsync(request).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
            return (-1, [], $"HTTP {(int)response.StatusCode}");
        string? status = GrpcStatus(response);
        if (status is null)
            return (-1, [], "no grpc-status in the answer");
        int code = int.TryParse(status, out int parsed) ? parsed : -1;
        if (code != 0 || body.Length < 5)
            return (code, [], null);
        int length = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)), (uint)(body.Length - 5));
        return (0, body.AsSpan(5, length).ToArray(), null);
    }

    private static string? GrpcStatus(HttpResponseMessage response)
    {
        // A trailers-only answer (an error) puts grpc-status in the headers.
        if (response.TrailingHeaders.TryGetValues("grpc-status", out IEnumerable<string>? trailing))
            return trailing.FirstOrDefault();
        return response.Headers.TryGetValues("grpc-status", out IEnumerable<string>? headers) ? headers.FirstOrDefault() : null;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>containerd's task directory for this state (the one <see cref="ProcWatch.Kernel.ProcFs.ContainerdCgroup"/> checks).</summary>
    public string TaskDirectory => $"{stateDirectory}/io.containerd.runtime.v2.task";

    public void Dispose() => _http?.Dispose();
}
