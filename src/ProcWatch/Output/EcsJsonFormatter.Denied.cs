using ProcWatch.Kernel.Enforcement;

namespace ProcWatch.Output;

/// <summary>A denial: <c>rule.*</c> names the deny rule, <c>procwatch.deny.*</c> how it was enforced.</summary>
internal sealed partial class EcsJsonFormatter
{
    private static void WriteDenialRule(ref JsonLineWriter w, DeniedEvent denied)
    {
        w.StartObject("rule"u8);
        w.String("name"u8, denied.RuleName);
        w.Ascii("ruleset"u8, "procwatch-deny"u8);
        w.EndObject();
    }

    private static void WriteDenial(ref JsonLineWriter w, DeniedEvent denied)
    {
        w.StartObject("deny"u8);
        w.Ascii("mode"u8, denied.Audit ? "audit"u8 : "enforce"u8);
        w.String("level"u8, DenyLevels.Name(denied.Level));
        if (denied.Audit) w.Boolean("would_deny"u8, true);
        if (denied.Filename is not null) w.String("filename"u8, denied.Filename);
        w.EndObject();
    }
}
