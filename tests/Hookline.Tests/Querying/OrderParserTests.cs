using Hookline.Api.Querying;
using Hookline.Storage.Querying;
using Xunit;

namespace Hookline.Tests.Querying;

public sealed class OrderParserTests
{
    private static readonly QueryField Name = new("name", FieldType.String);
    private static readonly QueryField CreatedOn = new("createdOn", FieldType.DateTime);
    private static readonly QueryFields Fields = new(
        [Name, CreatedOn, .. Enumerable.Range(0, 10).Select(i => new QueryField($"f{i}", FieldType.Number))]);

    private static IReadOnlyList<OrderTerm> Parse(string? text)
    {
        Assert.True(OrderParser.TryParse(text, Fields, out var terms, out var error), error);
        return terms;
    }

    private static string Error(string text)
    {
        Assert.False(OrderParser.TryParse(text, Fields, out var terms, out var error));
        Assert.Empty(terms);
        return error;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t")]
    public void Missing_orderby_yields_no_terms(string? text) => Assert.Empty(Parse(text));

    [Fact]
    public void A_single_property_sorts_ascending() => Assert.Equal([new OrderTerm(Name, false)], Parse("name"));

    [Theory]
    [InlineData("name asc", false)]
    [InlineData("name desc", true)]
    [InlineData("NAME DESC", true)]
    [InlineData("Name Asc", false)]
    public void Direction_is_optional_and_case_insensitive(string text, bool descending) =>
        Assert.Equal([new OrderTerm(Name, descending)], Parse(text));

    [Theory]
    [InlineData("name desc,createdOn")]
    [InlineData("  name   desc ,  createdOn asc  ")]
    [InlineData("name\tdesc,\tcreatedon")]
    public void Multiple_terms_keep_their_order_and_tolerate_whitespace(string text) =>
        Assert.Equal([new OrderTerm(Name, true), new OrderTerm(CreatedOn, false)], Parse(text));

    [Fact]
    public void Up_to_ten_terms_are_accepted() =>
        Assert.Equal(10, Parse(string.Join(",", Enumerable.Range(0, 10).Select(i => $"f{i} desc"))).Count);

    [Fact]
    public void More_than_ten_terms_are_rejected() =>
        Assert.StartsWith("The sort order has too many terms (11; the maximum is 10)",
            Error(string.Join(",", Enumerable.Range(0, 10).Select(i => $"f{i}")) + ",name"));

    [Theory]
    [InlineData("name,,createdOn", "Empty term in orderby at position 6")]
    [InlineData("name,", "Empty term in orderby at position 6")]
    [InlineData(",name", "Empty term in orderby at position 1")]
    [InlineData("name, ,createdOn", "Empty term in orderby at position 6")]
    public void Empty_terms_are_rejected(string text, string expected) => Assert.StartsWith(expected, Error(text));

    [Fact]
    public void Unknown_property_lists_the_sortable_properties() =>
        Assert.Equal("Unknown property 'foo'. Sortable properties: name, createdOn, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9.",
            Error("name, foo desc"));

    [Theory]
    [InlineData("name up", "Unexpected 'up' after 'name'")]
    [InlineData("name desc desc", "Unexpected 'desc desc' after 'name'")]
    [InlineData("name desc, createdOn asc nulls", "Unexpected 'asc nulls' after 'createdOn' in orderby term at position 11")]
    public void Extra_words_are_rejected(string text, string expected) => Assert.StartsWith(expected, Error(text));

    [Theory]
    [InlineData("name, NAME desc")]
    [InlineData("name desc,createdOn,name")]
    public void Duplicate_properties_are_rejected(string text) =>
        Assert.Equal("Property 'name' appears more than once in orderby.", Error(text));

    [Fact]
    public void Overlong_input_is_rejected_without_splitting_it() =>
        Assert.StartsWith("The sort order is too long", Error(new string(',', 100_000)));
}
