using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

internal enum ClickHouseOutcome
{
    Accepted,
    /// <summary>No answer: refused, reset, timed out. Retried.</summary>
    Unreachable,
    /// <summary>Wrong user or password (or not allowed from here).</summary>
    AuthenticationFailed,
    /// <summary>The database or table does not exist.</summary>
    MissingTable,
    /// <summary>The server refused the statement or the table: a column it lacks, a type it does not have. Retried (an operator can fix it).</summary>
    Refused,
    /// <summary>The server cannot parse this batch's rows: it will never take it, whatever is retried.</summary>
    RefusedData,
    /// <summary>Any other error the server reported (too many parts, memory, ...). Retried.</summary>
    ServerError,
}

/// <summary>What one request came to: the outcome, ClickHouse's error code (0 if none), one line of explanation, the body on success.</summary>
internal readonly record struct ClickHouseReply(ClickHouseOutcome Outcome, int Code, string Message, string Body = "");

/// <summary>
/// The HTTP interface, as every version since 1.1 speaks it: POST with the statement in
/// <c>query=</c>, the body gzip'd (<c>Content-Encoding: gzip</c> with
/// <c>enable_http_compression=1</c>), credentials as HTTP Basic (which every version
/// accepts; they never appear in a URL or argv). Never throws for a network or server
/// failure: the reply says what happened.
/// </summary>
internal sealed class ClickHouseClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly string _insertUrl;

    public ClickHouseClient(ClickHouseSettings settings, string? user, string? password)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5), // under the server's keep_alive_timeout (10 s in 18.16's config)
            ConnectTimeout = TimeSpan.FromSeconds(5),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (settings.CaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                ValidateWithPrivateCa(certificate, errors, roots);
        }
        _http = new HttpClient(handler) { Timeout = settings.Timeout };
        if (user is not null || password is not null)
        {
            string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? "default"}:{password ?? ""}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
        string url = settings.Url.GetLeftPart(UriPartial.Path);
        string extra = settings.Url.Query.TrimStart('?');
        _baseUrl = url + "?" + (extra.Length > 0 ? extra + "&" : "");
        string insert = $"INSERT INTO {ClickHouseSchema.Quote(settings.Database)}.{ClickHouseSchema.Quote(settings.Table)} FORMAT JSONEachRow";
        _insertUrl = _baseUrl + "enable_http_compression=1&query=" + Uri.EscapeDataString(insert);
    }

    /// <summary>One spooled batch (gzip'd JSONEachRow) as one INSERT.</summary>
    public async Task<ClickHouseReply> InsertAsync(byte[] gzipBody, CancellationToken cancel)
    {
        using var content = new ByteArrayContent(gzipBody);
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await SendAsync(_insertUrl, content, cancel).ConfigureAwait(false);
    }

    /// <summary>Gzip'd JSONEachRow rows into another table of the same database (heartbeats).</summary>
    public async Task<ClickHouseReply> InsertIntoAsync(string database, string table, byte[] gzipBody, CancellationToken cancel)
    {
        string insert = $"INSERT INTO {ClickHouseSchema.Quote(database)}.{ClickHouseSchema.Quote(table)} FORMAT JSONEachRow";
        using var content = new ByteArrayContent(gzipBody);
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await SendAsync(_baseUrl + "enable_http_compression=1&query=" + Uri.EscapeDataString(insert), content, cancel).ConfigureAwait(false);
    }

    /// <summary>A SELECT whose result the caller reads; <paramref name="settings"/> are extra URL settings (name=value&amp;...).</summary>
    public async Task<ClickHouseReply> SelectAsync(string sql, string settings, CancellationToken cancel)
    {
        using var content = new StringContent(sql, Encoding.UTF8);
        return await SendAsync(_baseUrl + settings, content, cancel).ConfigureAwait(false);
    }

    /// <summary>A statement in the body (DDL, SELECT); the reply's Body holds the result.</summary>
    public async Task<ClickHouseReply> QueryAsync(string sql, CancellationToken cancel)
    {
        using var content = new StringContent(sql, Encoding.UTF8);
        return await SendAsync(_baseUrl.TrimEnd('&', '?'), content, cancel).ConfigureAwait(false);
    }

    private async Task<ClickHouseReply> SendAsync(string url, HttpContent content, CancellationToken cancel)
    {
        try
        {
            using HttpResponseMessage response = await _http.PostAsync(url, content, cancel).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
                return new ClickHouseReply(ClickHouseOutcome.Accepted, 0, "", body);
            return Classify((int)response.StatusCode, body);
        }
        catch (HttpRequestException ex)
        {
            return new ClickHouseReply(ClickHouseOutcome.Unreachable, 0, OneLine(ex.InnerException?.Message ?? ex.Message));
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return new ClickHouseReply(ClickHouseOutcome.Unreachable, 0, $"no answer within {_http.Timeout.TotalSeconds:0} s");
        }
        catch (IOException ex)
        {
            return new ClickHouseReply(ClickHouseOutcome.Unreachable, 0, OneLine(ex.Message));
        }
    }

    /// <summary>
    /// "Code: 193, e.displayText() = DB::Exception: Wrong password ..., e.what() = DB::Exception" (18.16) or
    /// "Code: 516. DB::Exception: default: Authentication failed ... (AUTHENTICATION_FAILED) (version 24.3)" (current).
    /// </summary>
    internal static ClickHouseReply Classify(int status, string body)
    {
        int code = 0;
        int at = body.IndexOf("Code: ", StringComparison.Ordinal);
        if (at >= 0)
        {
            int start = at + 6, end = start;
            while (end < body.Length && char.IsAsciiDigit(body[end])) end++;
            _ = int.TryParse(body.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out code);
        }
        string message = body;
        int exception = message.IndexOf("DB::Exception: ", StringComparison.Ordinal);
        if (exception >= 0) message = message[(exception + "DB::Exception: ".Length)..];
        int what = message.IndexOf(", e.what()", StringComparison.Ordinal);
        if (what >= 0) message = message[..what];
        message = OneLine(message);
        if (message.Length == 0) message = $"HTTP {status}";
        ClickHouseOutcome outcome = (status, code) switch
        {
            (401 or 403, _) or (_, 192 or 193 or 194 or 516) => ClickHouseOutcome.AuthenticationFailed,
            (_, 60 or 81) => ClickHouseOutcome.MissingTable,
            // Parse errors of the rows themselves (and a bare 400 with no code); schema, type and syntax codes stay Refused.
            (_, 26 or 27 or 38 or 41 or 69 or 70 or 72 or 117 or 130 or 131) or (400, 0) => ClickHouseOutcome.RefusedData,
            (_, 16 or 53 or 62) or (400, _) => ClickHouseOutcome.Refused,
            _ => ClickHouseOutcome.ServerError,
        };
        return new ClickHouseReply(outcome, code, message);
    }

    private static bool ValidateWithPrivateCa(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>At most 300 characters, one line, no control characters (server text goes into our log).</summary>
    private static string OneLine(string text) => ProcWatch.Core.FailureText.OneLine(text, 300);

    public void Dispose() => _http.Dispose();
}
