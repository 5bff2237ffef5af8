namespace ProcWatch.Sigma.Matching;

/// <summary>A compiled piece of a rule's condition, evaluated against the shared view of one exec.</summary>
internal abstract class MatchNode
{
    public abstract bool Evaluate(SigmaEvent e);

    /// <summary>Rough cost of evaluating: AND and OR try cheap children (a shared-automaton bit) before costly ones (a regex).</summary>
    public virtual int Cost => 1;

    /// <summary>Cheapest first; AND and OR have no side effects, so order changes only the cost.</summary>
    protected static MatchNode[] CheapFirst(MatchNode[] children) => [.. children.OrderBy(c => c.Cost)];

    protected static int SumCost(MatchNode[] children)
    {
        int sum = 0;
        foreach (MatchNode child in children) sum += child.Cost;
        return sum;
    }
}

/// <summary>
/// AND and OR: the children in cheapest-first order, stopping at the first child whose
/// result is <paramref name="decisive"/> (false for AND, true for OR), which is then the answer.
/// </summary>
internal abstract class JunctionNode(MatchNode[] children, bool decisive) : MatchNode
{
    public MatchNode[] Children { get; } = CheapFirst(children);

    public override int Cost { get; } = SumCost(children);

    public override bool Evaluate(SigmaEvent e)
    {
        foreach (MatchNode child in Children)
        {
            if (child.Evaluate(e) == decisive)
                return decisive;
        }
        return !decisive;
    }
}

internal sealed class AndNode(MatchNode[] children) : JunctionNode(children, decisive: false);

internal sealed class OrNode(MatchNode[] children) : JunctionNode(children, decisive: true);

internal sealed class NotNode(MatchNode operand) : MatchNode
{
    public override int Cost => operand.Cost;

    public override bool Evaluate(SigmaEvent e) => !operand.Evaluate(e);
}

/// <summary><c>N of X*</c> for N &gt; 1: at least N of the children hold.</summary>
internal sealed class AtLeastNode(int count, MatchNode[] children) : MatchNode
{
    public override int Cost { get; } = SumCost(children);

    public override bool Evaluate(SigmaEvent e)
    {
        int hits = 0;
        foreach (MatchNode child in children)
        {
            if (child.Evaluate(e) && ++hits >= count)
                return true;
        }
        return false;
    }
}

internal sealed class ConstantNode(bool value) : MatchNode
{
    public static readonly ConstantNode True = new(true);
    public static readonly ConstantNode False = new(false);

    public override bool Evaluate(SigmaEvent e) => value;
}
