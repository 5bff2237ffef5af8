using ProcWatch.Sigma.Rules;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcWatch.Sigma.Parsing;

/// <summary>
/// Reads the YAML documents of one Sigma file into rule and filter documents. Uses
/// YamlDotNet's node model only (no reflection: NativeAOT-safe), so every problem names
/// the file and line. A file may hold several documents; each is judged on its own.
/// </summary>
internal sealed class SigmaDocumentReader
{
    private readonly string _file;

    private SigmaDocumentReader(string file) => _file = file;

    /// <summary>The documents of <paramref name="text"/>, each a rule, a filter, or the reason it is neither.</summary>
    /// <exception cref="SigmaRuleException">The YAML itself is malformed (nothing in the file can be read).</exception>
    public static List<SigmaDocumentResult> Read(string text, string file)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            throw new SigmaRuleException(file, ex.Start.Line, "invalid YAML: " + ProcWatch.Core.FailureText.OneLine(ex.Message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some malformed input: the last event read says where.
            long line = parser.Current is { } last ? last.End.Line : 0;
            throw new SigmaRuleException(file, line, "invalid YAML: malformed after this line");
        }
        var reader = new SigmaDocumentReader(file);
        var results = new List<SigmaDocumentResult>(stream.Documents.Count);
        foreach (YamlDocument document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" })
                continue; // an empty document (a trailing ---)
            try
            {
                results.Add(reader.ReadDocument(document.RootNode));
            }
            catch (SigmaRuleException ex)
            {
                results.Add(new SigmaDocumentResult(null, null, ex, TitleOf(document.RootNode)));
            }
        }
        return results;
    }

    private SigmaDocumentResult ReadDocument(YamlNode root)
    {
        YamlMappingNode map = root as YamlMappingNode ?? throw Invalid(root, "a rule must be a YAML mapping");
        if (Find(map, "action") is { } action)
            throw Unsupported(action, "rule collections (action: global/reset/repeat) are not supported; split them into single rules");
        if (Find(map, "correlation") is { } correlation)
            throw Unsupported(correlation, "correlation rules are not supported (ProcWatch evaluates single events)");
        SigmaRuleInfo info = ReadInfo(map);
        if (Find(map, "filter") is { } filter)
            return new SigmaDocumentResult(null, ReadFilter(info, filter), null, info.Title);
        YamlNode detection = Find(map, "detection") ?? throw Invalid(map, "the rule has no detection");
        return new SigmaDocumentResult(new SigmaRuleDocument(info, ReadDetection(detection, isFilter: false)), null, null, info.Title);
    }

    private SigmaRuleInfo ReadInfo(YamlMappingNode map)
    {
        YamlNode titleNode = Find(map, "title") ?? throw Invalid(map, "the rule has no title");
        string title = Text(titleNode, "title");
        string level = "medium";
        if (Find(map, "level") is { } levelNode)
        {
            level = Text(levelNode, "level");
            if (!SigmaLevel.IsKnown(level))
                throw Invalid(levelNode, $"unknown level '{level}' (expected informational, low, medium, high, critical)");
        }
        string? category = null, product = null, service = null;
        if (Find(map, "logsource") is { } logsource)
        {
            YamlMappingNode ls = logsource as YamlMappingNode ?? throw Invalid(logsource, "logsource must be a mapping");
            category = OptionalText(ls, "category");
            product = OptionalText(ls, "product");
            service = OptionalText(ls, "service");
        }
        else
        {
            throw Invalid(map, "the rule has no logsource");
        }
        return new SigmaRuleInfo
        {
            File = _file,
            Line = (int)map.Start.Line,
            Title = title,
            Id = OptionalText(map, "id"),
            Name = OptionalText(map, "name"),
            Description = OptionalText(map, "description"),
            Status = OptionalText(map, "status"),
            References = TextList(map, "references"),
            Tags = TextList(map, "tags"),
            Level = level,
            Category = category,
            Product = product,
            Service = service,
        };
    }

    private SigmaFilterDocument ReadFilter(SigmaRuleInfo info, YamlNode node)
    {
        YamlMappingNode map = node as YamlMappingNode ?? throw Invalid(node, "filter must be a mapping");
        YamlNode rulesNode = Find(map, "rules") ?? throw Invalid(map, "the filter names no rules (filter.rules: [rule id or title, ...])");
        IReadOnlyList<string> refs = rulesNode is YamlScalarNode one ? [Text(one, "filter.rules")] : TextList(map, "rules");
        if (refs.Count == 0)
            throw Invalid(rulesNode, "the filter names no rules (filter.rules: [rule id or title, ...])");
        return new SigmaFilterDocument(info, refs, ReadDetection(map, isFilter: true));
    }

    private Detection ReadDetection(YamlNode node, bool isFilter)
    {
        YamlMappingNode map = node as YamlMappingNode ?? throw Invalid(node, "detection must be a mapping");
        var searches = new List<SearchIdentifier>();
        List<string>? conditions = null;
        int conditionLine = (int)map.Start.Line;
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Key(keyNode);
            switch (key)
            {
                case "condition":
                    conditionLine = (int)value.Start.Line;
                    conditions = value is YamlSequenceNode list
                        ? list.Children.Select(c => Text(c, "condition")).ToList()
                        : [Text(value, "condition")];
                    break;
                case "timeframe":
                    throw Unsupported(keyNode, "timeframe (an aggregation over time) is not supported");
                case "rules" when isFilter:
                    break;
                default:
                    searches.Add(ReadSearch(key, value));
                    break;
            }
        }
        if (conditions is null || conditions.Count == 0)
            throw Invalid(map, "the detection has no condition");
        return new Detection(searches, conditions, conditionLine);
    }

    private SearchIdentifier ReadSearch(string name, YamlNode value)
    {
        int line = (int)value.Start.Line;
        switch (value)
        {
            case YamlMappingNode map:
                return new SearchIdentifier(name, [ReadItems(map)], line);
            case YamlSequenceNode list when list.Children.Count > 0 && list.Children.All(c => c is YamlMappingNode):
                return new SearchIdentifier(name, list.Children.Select(c => (IReadOnlyList<DetectionItem>)ReadItems((YamlMappingNode)c)).ToList(), line);
            case YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode):
                if (list.Children.Count == 0)
                    throw Invalid(value, $"search identifier '{name}' is an empty list");
                return new SearchIdentifier(name, [[new DetectionItem(null, [], list.Children.Select(c => Value((YamlScalarNode)c)).ToList(), line)]], line);
            case YamlScalarNode scalar:
                return new SearchIdentifier(name, [[new DetectionItem(null, [], [Value(scalar)], line)]], line);
            default:
                throw Invalid(value, $"search identifier '{name}' must be a mapping, a list of mappings or a list of keywords");
        }
    }

    private List<DetectionItem> ReadItems(YamlMappingNode map)
    {
        var items = new List<DetectionItem>(map.Children.Count);
        foreach ((YamlNode keyNode, YamlNode value) in map.Children)
        {
            string key = Key(keyNode);
            string[] parts = key.Split('|');
            string? field = parts[0].Length == 0 ? null : parts[0];
            string[] modifiers = parts[1..];
            IReadOnlyList<SigmaValue> values = value switch
            {
                YamlScalarNode scalar => [Value(scalar)],
                YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) =>
                    list.Children.Count == 0
                        ? throw Invalid(value, $"'{key}' has an empty list of values")
                        : list.Children.Select(c => Value((YamlScalarNode)c)).ToList(),
                _ => throw Invalid(value, $"'{key}' must have a value or a list of values"),
            };
            items.Add(new DetectionItem(field, modifiers, values, (int)keyNode.Start.Line));
        }
        return items;
    }

    /// <summary>What kind of scalar: only plain (unquoted) scalars are numbers, booleans or null, as in YAML.</summary>
    private static SigmaValue Value(YamlScalarNode node)
    {
        string text = node.Value ?? "";
        if (node.Style != ScalarStyle.Plain)
            return new SigmaValue(SigmaValueKind.String, text);
        if (text is "" or "null" or "Null" or "NULL" or "~")
            return SigmaValue.Null;
        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
            return new SigmaValue(SigmaValueKind.Boolean, text.ToLowerInvariant());
        if (SigmaNumber.TryParse(text, out _))
            return new SigmaValue(SigmaValueKind.Number, text);
        return new SigmaValue(SigmaValueKind.String, text);
    }

    private static YamlNode? Find(YamlMappingNode map, string key)
    {
        foreach ((YamlNode k, YamlNode v) in map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key)
                return v;
        }
        return null;
    }

    private string? OptionalText(YamlMappingNode map, string key) =>
        Find(map, key) is { } node ? (node is YamlScalarNode { Value: null or "" } ? null : Text(node, key)) : null;

    private List<string> TextList(YamlMappingNode map, string key)
    {
        if (Find(map, key) is not { } node || node is YamlScalarNode { Value: null or "" })
            return [];
        if (node is YamlSequenceNode list)
            return list.Children.Select(c => Text(c, key)).ToList();
        return [Text(node, key)];
    }

    private string Text(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } text } ? text : throw Invalid(node, $"{what} must be text");

    private string Key(YamlNode node) => node is YamlScalarNode { Value: { Length: > 0 } key } ? key : throw Invalid(node, "a key must be text");

    private static string? TitleOf(YamlNode root) =>
        root is YamlMappingNode map && Find(map, "title") is YamlScalarNode { Value: { } title } ? title : null;

    private SigmaRuleException Invalid(YamlNode node, string reason) => new(_file, node.Start.Line, reason);

    private SigmaRuleException Unsupported(YamlNode node, string reason) => new(_file, node.Start.Line, reason, unsupported: true);
}

/// <summary>One document of a file: a rule, a filter, or why it is neither (with its title when it has one).</summary>
internal sealed record SigmaDocumentResult(SigmaRuleDocument? Rule, SigmaFilterDocument? Filter, SigmaRuleException? Problem, string? Title);
