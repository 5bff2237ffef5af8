namespace ProcWatch.Sigma.Compiling;

/// <summary>The modifiers of one detection item, checked: an unknown or misplaced one is an error with the reason.</summary>
internal sealed class Modifiers
{
    public Matching.TextMatch Match { get; private set; } = Matching.TextMatch.Equals;
    public bool All { get; private set; }
    public bool Cased { get; private set; }
    public bool Negate { get; private set; }
    public bool Regex { get; private set; }
    public bool RegexIgnoreCase { get; private set; }
    public bool RegexMultiline { get; private set; }
    public bool RegexSingleline { get; private set; }
    public bool Exists { get; private set; }
    public bool Cidr { get; private set; }
    public bool FieldRef { get; private set; }
    public Matching.NumberComparison? Compare { get; private set; }

    /// <summary>Value transformations in the order written: base64, base64offset, windash, and the encodings before base64.</summary>
    public List<string> Transforms { get; } = [];

    /// <exception cref="NotSupportedException">Unknown, unsupported or contradictory modifiers (message says which).</exception>
    public static Modifiers Parse(IReadOnlyList<string> names, string field)
    {
        var m = new Modifiers();
        string? encoding = null;
        foreach (string raw in names)
        {
            string name = raw.ToLowerInvariant();
            switch (name)
            {
                case "contains": m.SetMatch(Matching.TextMatch.Contains, name); break;
                case "startswith": m.SetMatch(Matching.TextMatch.StartsWith, name); break;
                case "endswith": m.SetMatch(Matching.TextMatch.EndsWith, name); break;
                case "all": m.All = true; break;
                case "cased": m.Cased = true; break;
                case "neq": m.Negate = true; break;
                case "re": m.Regex = true; break;
                case "i" or "ignorecase": m.RequireRegex(name); m.RegexIgnoreCase = true; break;
                case "m" or "multiline": m.RequireRegex(name); m.RegexMultiline = true; break;
                case "s" or "dotall": m.RequireRegex(name); m.RegexSingleline = true; break;
                case "exists": m.Exists = true; break;
                case "cidr": m.Cidr = true; break;
                case "fieldref": m.FieldRef = true; break;
                case "lt": m.SetCompare(Matching.NumberComparison.Less, name); break;
                case "lte": m.SetCompare(Matching.NumberComparison.LessOrEqual, name); break;
                case "gt": m.SetCompare(Matching.NumberComparison.Greater, name); break;
                case "gte": m.SetCompare(Matching.NumberComparison.GreaterOrEqual, name); break;
                case "wide" or "utf16le" or "utf16be" or "utf16":
                    encoding = name == "wide" ? "utf16le" : name;
                    break;
                case "base64" or "base64offset":
                    m.Transforms.Add(encoding is null ? name : name + ":" + encoding);
                    encoding = null;
                    break;
                case "windash": m.Transforms.Add(name); break;
                case "expand":
                    throw new NotSupportedException($"modifier 'expand' on {field}: placeholders need values ProcWatch does not have");
                case "minute" or "hour" or "day" or "week" or "month" or "year":
                    throw new NotSupportedException($"time modifier '{raw}' on {field} is not supported (no timestamp fields in process_creation)");
                default:
                    throw new NotSupportedException($"unknown modifier '{raw}' on {field}");
            }
        }
        if (encoding is not null)
            throw new NotSupportedException($"modifier '{encoding}' on {field} must be followed by base64 or base64offset");
        int kinds = (m.Regex ? 1 : 0) + (m.Exists ? 1 : 0) + (m.Cidr ? 1 : 0) + (m.Compare is null ? 0 : 1);
        if (kinds > 1 || (kinds == 1 && (m.Match != Matching.TextMatch.Equals || m.FieldRef || m.Transforms.Count > 0)))
            throw new NotSupportedException($"modifiers '{string.Join("|", names)}' on {field} do not combine");
        if (m.FieldRef && m.Transforms.Count > 0)
            throw new NotSupportedException($"fieldref on {field} does not combine with value transformations");
        return m;
    }

    private void SetMatch(Matching.TextMatch match, string name)
    {
        if (Match != Matching.TextMatch.Equals)
            throw new NotSupportedException($"modifier '{name}' conflicts with an earlier contains/startswith/endswith");
        Match = match;
    }

    private void SetCompare(Matching.NumberComparison compare, string name)
    {
        if (Compare is not null)
            throw new NotSupportedException($"modifier '{name}' conflicts with an earlier comparison");
        Compare = compare;
    }

    private void RequireRegex(string name)
    {
        if (!Regex)
            throw new NotSupportedException($"modifier '{name}' only applies after 're'");
    }
}
