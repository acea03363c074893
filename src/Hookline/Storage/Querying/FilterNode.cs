namespace Hookline.Storage.Querying;

/// <summary>A parsed <c>filterby</c> expression. Every field in the tree comes from the model's whitelist.</summary>
public abstract record FilterNode;

public enum CompareOp { Eq, Ne, Gt, Ge, Lt, Le }

/// <summary>
/// <c>property op literal</c>. <see cref="Value"/> is a <see cref="string"/>, <see cref="decimal"/>, <see cref="bool"/>,
/// <see cref="System.Guid"/>, UTC <see cref="DateTimeOffset"/> matching the field's type, or null (only with Eq/Ne).
/// </summary>
public sealed record Comparison(QueryField Field, CompareOp Op, object? Value) : FilterNode;

public sealed record And(FilterNode Left, FilterNode Right) : FilterNode;

public sealed record Or(FilterNode Left, FilterNode Right) : FilterNode;

public sealed record Not(FilterNode Inner) : FilterNode;

public enum TextMatch { StartsWith, EndsWith, Contains }

public sealed record TextFunction(TextMatch Kind, QueryField Field, string Value) : FilterNode;

public sealed record OrderTerm(QueryField Field, bool Descending);
