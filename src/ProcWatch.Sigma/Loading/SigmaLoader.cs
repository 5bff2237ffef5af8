using ProcWatch.Sigma.Compiling;
using ProcWatch.Sigma.Matching;
using ProcWatch.Sigma.Parsing;
using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma.Loading;

/// <summary>
/// Loads Sigma rules and filters from files and directories (searched recursively for
/// <c>*.yml</c> / <c>*.yaml</c>) and compiles them into one <see cref="SigmaEngine"/>. A bad
/// file or rule is reported and skipped: it never stops the others. Rules for log sources
/// other than linux process_creation are skipped and counted.
/// </summary>
internal static class SigmaLoader
{
    /// <summary>Files larger than this are not rules (bounded memory whatever a directory holds).</summary>
    private const long MaxFileBytes = 1024 * 1024;

    /// <exception cref="SigmaPathException">A path does not exist or cannot be listed.</exception>
    /// <param name="paths">Rules (and filters) to load.</param>
    /// <param name="filterPaths">Filters only (the daemon's <c>filters:</c>): a rule found there is reported, not loaded.</param>
    public static SigmaLoadReport Load(IEnumerable<string> paths, IEnumerable<string>? filterPaths = null)
    {
        var sources = new List<Source>();
        foreach (string path in paths)
            sources.AddRange(FilesUnder(path).Select(f => Read(f, filterOnly: false)));
        foreach (string path in filterPaths ?? [])
            sources.AddRange(FilesUnder(path).Select(f => Read(f, filterOnly: true)));
        return Compile(sources);
    }

    /// <summary>Compiles rule texts (tests and benchmarks use this directly): (file name, text) pairs.</summary>
    public static SigmaLoadReport LoadTexts(IEnumerable<(string File, string Text)> texts) =>
        Compile(texts.Select(t => new Source(t.File, t.Text, null, false)).ToList());

    private readonly record struct Source(string File, string? Text, string? Error, bool FilterOnly);

    private static SigmaLoadReport Compile(List<Source> sources)
    {
        var rejected = new List<SigmaRejection>();
        var skipped = new List<SigmaSkip>();
        var rules = new List<SigmaCompiledRule>();
        var filters = new List<SigmaFilterDocument>();
        var patterns = new PatternRegistry();
        var compiler = new DetectionCompiler(patterns);
        foreach ((string file, string? text, string? error, bool filterOnly) in sources)
        {
            if (text is null)
            {
                rejected.Add(new SigmaRejection(file, 0, null, error!, false));
                continue;
            }
            List<SigmaDocumentResult> documents;
            try
            {
                documents = SigmaDocumentReader.Read(text, file);
            }
            catch (SigmaRuleException ex)
            {
                rejected.Add(new SigmaRejection(file, ex.Line, null, ex.Reason, ex.Unsupported));
                continue;
            }
            foreach (SigmaDocumentResult doc in documents)
            {
                if (doc.Problem is { } problem)
                    rejected.Add(new SigmaRejection(file, problem.Line, doc.Title, problem.Reason, problem.Unsupported));
                else if (doc.Filter is { } filter)
                    filters.Add(filter);
                else if (doc.Rule is { } misplaced && filterOnly)
                    rejected.Add(new SigmaRejection(file, misplaced.Info.Line, misplaced.Info.Title, "a rule in a filters path is not loaded (put rules under sigma:)", false));
                else if (doc.Rule is { } rule)
                    CompileRule(rule, compiler, rules, rejected, skipped);
            }
        }
        var filterInfos = new List<SigmaFilterInfo>();
        foreach (SigmaFilterDocument filter in filters)
        {
            if (ApplyFilter(filter, compiler, rules, rejected) is { } info)
                filterInfos.Add(info);
        }
        var engine = new SigmaEngine([.. rules], patterns.Build());
        return new SigmaLoadReport { Engine = engine, Rejected = rejected, Skipped = skipped, Filters = filterInfos, Files = sources.Count };
    }

    private static void CompileRule(SigmaRuleDocument rule, DetectionCompiler compiler, List<SigmaCompiledRule> rules,
        List<SigmaRejection> rejected, List<SigmaSkip> skipped)
    {
        SigmaRuleInfo info = rule.Info;
        if (!IsProcessCreation(info))
        {
            skipped.Add(new SigmaSkip(info.File, info.Title, $"product: {info.Product ?? "(none)"}, category: {info.Category ?? "(none)"}"
                + (info.Service is null ? "" : $", service: {info.Service}")));
            return;
        }
        try
        {
            MatchNode condition = compiler.Compile(rule.Detection, info.File);
            rules.Add(new SigmaCompiledRule(info, condition) { UsesHashes = compiler.LastUsedHashes });
        }
        catch (SigmaRuleException ex)
        {
            rejected.Add(new SigmaRejection(info.File, ex.Line, info.Title, ex.Reason, ex.Unsupported));
        }
    }

    /// <summary>ANDs the filter's condition into every rule it names (by id, name or title).</summary>
    private static SigmaFilterInfo? ApplyFilter(SigmaFilterDocument filter, DetectionCompiler compiler,
        List<SigmaCompiledRule> rules, List<SigmaRejection> rejected)
    {
        MatchNode condition;
        try
        {
            condition = compiler.Compile(filter.Detection, filter.Info.File);
        }
        catch (SigmaRuleException ex)
        {
            rejected.Add(new SigmaRejection(filter.Info.File, ex.Line, filter.Info.Title, "filter: " + ex.Reason, ex.Unsupported));
            return null;
        }
        int filtered = 0;
        var unmatched = new List<string>();
        foreach (string reference in filter.RuleRefs)
        {
            bool any = false;
            foreach (SigmaCompiledRule rule in rules)
            {
                if (!Names(rule.Info, reference))
                    continue;
                rule.Condition = new AndNode([rule.Condition, condition]);
                any = true;
                filtered++;
            }
            if (!any)
                unmatched.Add(reference);
        }
        return new SigmaFilterInfo(filter.Info, filtered, unmatched);
    }

    private static bool Names(SigmaRuleInfo rule, string reference) =>
        string.Equals(rule.Id, reference, StringComparison.OrdinalIgnoreCase)
        || string.Equals(rule.Name, reference, StringComparison.Ordinal)
        || string.Equals(rule.Title, reference, StringComparison.Ordinal);

    private static bool IsProcessCreation(SigmaRuleInfo info) =>
        string.Equals(info.Product, "linux", StringComparison.OrdinalIgnoreCase)
        && string.Equals(info.Category, "process_creation", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> FilesUnder(string path)
    {
        if (File.Exists(path))
            return [path];
        if (!Directory.Exists(path))
            throw new SigmaPathException($"Sigma path {path} does not exist");
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
            var found = Directory.EnumerateFiles(path, "*", options)
                .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                .ToList();
            found.Sort(StringComparer.Ordinal);
            return found;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SigmaPathException($"cannot list Sigma path {path}: {ex.Message}", ex);
        }
    }

    private static Source Read(string file, bool filterOnly)
    {
        try
        {
            var length = new FileInfo(file).Length;
            if (length > MaxFileBytes)
                return new Source(file, null, $"larger than {MaxFileBytes / 1024} KiB: not read", filterOnly);
            return new Source(file, File.ReadAllText(file), null, filterOnly);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Source(file, null, "cannot read: " + ex.Message, filterOnly);
        }
    }
}
