using System.CommandLine.Parsing;
using System.Globalization;

namespace ProcWatch.Cli;

/// <summary>
/// Parsers for numeric options that say what was expected in words: System.CommandLine's own
/// message names the .NET type (`expected type 'System.Nullable`1[System.Double]'`).
/// (Program escapes the user's value when it prints the line.)
/// </summary>
internal static class NumberArguments
{
    public static int WholeNumber(ArgumentResult result) =>
        ParseInt(result, result.Tokens.Count == 0 ? null : result.Tokens[^1].Value) ?? 0;

    public static int[] WholeNumbers(ArgumentResult result)
    {
        var values = new int[result.Tokens.Count];
        for (int i = 0; i < values.Length; i++)
            values[i] = ParseInt(result, result.Tokens[i].Value) ?? 0;
        return values;
    }

    public static double? Seconds(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
            return null;
        string text = result.Tokens[^1].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            return value;
        result.AddError($"{OptionName(result)}: '{text}' is not a number of seconds (e.g. 10 or 0.5)");
        return null;
    }

    private static int? ParseInt(ArgumentResult result, string? text)
    {
        if (text is null)
            return null;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            return value;
        result.AddError($"{OptionName(result)}: '{text}' is not a whole number");
        return null;
    }

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
