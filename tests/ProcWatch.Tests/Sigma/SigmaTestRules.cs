using Xunit;
using ProcWatch.Events;
using ProcWatch.Sigma;
using ProcWatch.Sigma.Loading;

namespace ProcWatch.Tests.Sigma;

/// <summary>Rule texts and exec facts for the Sigma unit tests.</summary>
internal static class SigmaTestRules
{
    /// <summary>A linux process_creation rule around <paramref name="detection"/> (indented by the caller's 4 spaces).</summary>
    public static string Rule(string detection, string title = "Test rule") => $"""
        title: {title}
        id: 00000000-0000-0000-0000-000000000001
        logsource:
            product: linux
            category: process_creation
        detection:
        {Indent(detection)}
        level: high
        """;

    public static SigmaLoadReport Load(params string[] texts) =>
        SigmaLoader.LoadTexts(texts.Select((t, i) => ($"rule{i}.yml", t)));

    /// <summary>The one rule compiled from <paramref name="detection"/>; fails the test with the reason if it does not load.</summary>
    public static SigmaEngine Engine(string detection)
    {
        SigmaLoadReport report = Load(Rule(detection));
        Assert.True(report.Rejected.Count == 0, string.Join("; ", report.Rejected.Select(r => $"{r.Line}: {r.Reason}")));
        Assert.Single(report.Engine.Rules);
        return report.Engine;
    }

    public static bool Fires(string detection, ProcessInfo process) => Fires(Engine(detection), process);

    public static bool Fires(SigmaEngine engine, ProcessInfo process) => engine.Evaluate(process, []) > 0;

    /// <summary>Why the rule does not load (asserts it does not).</summary>
    public static SigmaRejection Rejection(string detection)
    {
        SigmaLoadReport report = Load(Rule(detection));
        return Assert.Single(report.Rejected);
    }

    public static ProcessInfo Exec(string executable, params string[] args) => new()
    {
        Pid = 4242,
        ParentPid = 100,
        Executable = executable,
        Args = args.Length == 0 ? [executable] : args,
        WorkingDirectory = "/home/alice",
        User = new IdName(1000, "alice"),
        LoginUid = 1000,
        Parent = new ParentInfo { Pid = 100, Executable = "/usr/bin/bash", Args = ["bash", "-i"] },
    };

    private static string Indent(string text) =>
        string.Join('\n', text.Split('\n').Select(line => "    " + line));
}
