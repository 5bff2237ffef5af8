using System.Globalization;

namespace ProcWatch.Sigma.Rules;

/// <summary>Numbers in rules and in fields: integers and decimals, compared as decimals.</summary>
internal static class SigmaNumber
{
    public static bool TryParse(ReadOnlySpan<char> text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
}
