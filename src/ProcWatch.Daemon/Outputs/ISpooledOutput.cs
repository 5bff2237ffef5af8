namespace ProcWatch.Daemon.Outputs;

/// <summary>An output that keeps what it could not deliver yet (ClickHouse's spool): its backlog, for the metrics.</summary>
internal interface ISpooledOutput
{
    string Name { get; }

    /// <summary>Bytes of batches spooled on disk, waiting for the server.</summary>
    long SpoolBytes { get; }

    /// <summary>Batches spooled on disk, waiting for the server.</summary>
    int SpoolBatches { get; }

    /// <summary>Rows not yet accepted by the server: open batch, memory queue and spool.</summary>
    long PendingRows { get; }
}
