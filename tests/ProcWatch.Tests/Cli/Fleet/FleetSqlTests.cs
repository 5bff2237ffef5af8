using ProcWatch.Cli.Fleet;
using Xunit;

namespace ProcWatch.Tests.Cli.Fleet;

/// <summary>How untrusted text enters a fleet query, and the durations --since takes.</summary>
public sealed class FleetSqlTests
{
    [Theory]
    [InlineData("curl", "unhex('6375726C')")]
    [InlineData("a'b\\c", "unhex('6127625C63')")]
    [InlineData("", "''")]
    public void Text_is_sent_as_hex_bytes_that_nothing_escapes_from(string value, string sql)
        => Assert.Equal(sql, FleetSql.Text(value));

    [Fact]
    public void Every_character_of_hostile_text_stays_inside_the_literal()
    {
        string hostile = "x');DROP TABLE t;--\0\u001b[2J\uDC80é`\"";
        string sql = FleetSql.Text(hostile);
        Assert.Matches("^unhex\\('[0-9A-F]+'\\)$", sql);
        // The bytes round-trip, an invalid-UTF-8 byte (ProcText's escape U+DC80) included.
        Assert.Equal(ProcWatch.Text.ProcText.Encode(hostile), Convert.FromHexString(sql[7..^2]));
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("2w", 1209600)]
    public void Durations_parse(string text, int seconds)
    {
        Assert.True(FleetSql.TryParseDuration(text, out TimeSpan t));
        Assert.Equal(TimeSpan.FromSeconds(seconds), t);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("1y")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData("99999999999d")]
    public void Bad_durations_do_not(string text) => Assert.False(FleetSql.TryParseDuration(text, out _));
}
