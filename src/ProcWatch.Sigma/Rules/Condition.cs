namespace ProcWatch.Sigma.Rules;

/// <summary>A parsed <c>condition</c> expression.</summary>
internal abstract record ConditionExpr
{
    // Not the synthesized ToString: NativeAOT fails to compile it for these recursive records.
    public sealed override string ToString() => GetType().Name;
}

internal sealed record IdentifierExpr(string Name) : ConditionExpr;

internal sealed record AndExpr(ConditionExpr Left, ConditionExpr Right) : ConditionExpr;

internal sealed record OrExpr(ConditionExpr Left, ConditionExpr Right) : ConditionExpr;

internal sealed record NotExpr(ConditionExpr Operand) : ConditionExpr;

/// <summary><c>1 of X*</c>, <c>all of them</c>: <see cref="Count"/> null means all; <see cref="Pattern"/> null means them.</summary>
internal sealed record OfExpr(int? Count, string? Pattern) : ConditionExpr;
