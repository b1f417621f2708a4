using System.Text.Json;
using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

/// <summary>
/// Which error shape an upstream's JSON body is read as, and the code and message taken from it: the whole record
/// is compared, so a wrong shape, a lost code or a flipped validation flag fails.
/// </summary>
public sealed class UpstreamErrorTests
{
    [Theory]
    [InlineData("""["not", "an", "object"]""")]
    [InlineData("\"just text\"")]
    [InlineData("42")]
    [InlineData("""{"detail":"no title, message or error here"}""")]
    [InlineData("""{"statusCode":500}""")]
    public void Json_without_an_error_shape_is_None(string json) =>
        Assert.Equal(new UpstreamError(ErrorShape.None, null, null, false), Read(json));

    [Fact]
    public void Apims_own_error_is_the_gateway_shape_without_a_code() =>
        Assert.Equal(new UpstreamError(ErrorShape.Gateway, null, "Rate limit is exceeded. Try again in 3 seconds.", false),
            Read("""{"statusCode":429,"message":"Rate limit is exceeded. Try again in 3 seconds."}"""));

    [Fact]
    public void A_status_code_that_is_not_a_number_is_not_the_gateway_speaking() =>
        Assert.Equal(new UpstreamError(ErrorShape.Generic, "E42", "Looks like APIM, is not.", false),
            Read("""{"statusCode":"429","message":"Looks like APIM, is not.","code":"E42"}"""));

    [Fact]
    public void Azure_errors_give_their_code_and_message_and_say_whether_details_came_with_them()
    {
        Assert.Equal(new UpstreamError(ErrorShape.Azure, "ResourceNotFound", "The order was not found.", false),
            Read("""{"error":{"code":"ResourceNotFound","message":"The order was not found."}}"""));
        Assert.Equal(new UpstreamError(ErrorShape.Azure, "InvalidOrder", "Two fields are wrong.", true),
            Read("""{"error":{"code":"InvalidOrder","message":"Two fields are wrong.","details":[{"code":"Range"}]}}"""));
    }

    [Fact]
    public void The_inner_code_stands_in_only_when_the_outer_one_is_missing()
    {
        Assert.Equal("OuterCode", Read("""{"error":{"code":"OuterCode","message":"m","innererror":{"code":"InnerCode"}}}""").Code);
        Assert.Equal("InnerCode", Read("""{"error":{"message":"m","innererror":{"code":"InnerCode"}}}""").Code);
        Assert.Null(Read("""{"error":{"message":"m"}}""").Code);
    }

    [Fact]
    public void OAuth_errors_give_the_error_as_code_and_its_description_as_message() =>
        Assert.Equal(new UpstreamError(ErrorShape.OAuth, "invalid_grant", "The grant has expired.", false),
            Read("""{"error":"invalid_grant","error_description":"The grant has expired."}"""));

    [Theory]
    [InlineData("""{"title":"Out of credit","status":403}""")]
    [InlineData("""{"title":"Out of credit","type":"about:blank"}""")]
    public void Problem_details_need_a_title_and_a_status_or_a_type(string json) =>
        Assert.Equal(new UpstreamError(ErrorShape.Problem, null, "Out of credit", false), Read(json));

    [Fact]
    public void A_title_alone_is_not_problem_details() =>
        Assert.Equal(new UpstreamError(ErrorShape.Generic, null, "words", false), Read("""{"title":"Out of credit","message":"words"}"""));

    [Fact]
    public void The_detail_is_the_message_when_there_is_one() =>
        Assert.Equal("Your balance is 30, the order costs 50.",
            Read("""{"title":"Out of credit","status":403,"detail":"Your balance is 30, the order costs 50."}""").Message);

    [Theory]
    [InlineData("https://example.test/problems/out-of-credit", "out-of-credit")]
    [InlineData("https://example.test/problems/out-of-credit/", "out-of-credit")]
    [InlineData("https://example.test/problems#insufficient-funds", "insufficient-funds")]
    [InlineData("urn:problem:plain-word", "urn:problem:plain-word")]
    [InlineData("about:blank", null)]
    [InlineData("https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1", null)]
    [InlineData("https://datatracker.ietf.org/doc/html/RFC9110", null)]
    [InlineData("/", null)]
    [InlineData("", null)]
    public void The_problem_type_gives_a_code_when_its_last_segment_is_a_word(string type, string? code) =>
        Assert.Equal(code, Read($$"""{"title":"t","status":400,"type":"{{type}}"}""").Code);

    [Fact]
    public void A_problem_type_segment_longer_than_64_characters_is_no_code()
    {
        Assert.Equal(new string('w', 64), Read($$"""{"title":"t","status":400,"type":"https://x.test/{{new string('w', 64)}}"}""").Code);
        Assert.Null(Read($$"""{"title":"t","status":400,"type":"https://x.test/{{new string('w', 65)}}"}""").Code);
    }

    [Theory]
    [InlineData("""{"quantity":["Must be at least 1"]}""", "Must be at least 1.")]
    [InlineData("""{"quantity":[7, null, "Must be at least 1!"]}""", "Must be at least 1!")]
    [InlineData("""{"quantity":"Must be at least 1?"}""", "Must be at least 1?")]
    [InlineData("""{"quantity":12, "sku":["  Unknown SKU  "]}""", "Unknown SKU.")]
    [InlineData("""["Quantity is required"]""", "Quantity is required.")]
    [InlineData("""[{"detail":"From detail","message":"From message"}]""", "From detail.")]
    [InlineData("""[{"message":"From message"}, "later"]""", "From message.")]
    [InlineData("""[3, {"pointer":"/x"}, "The third one"]""", "The third one.")]
    public void The_first_validation_error_is_added_to_the_message_as_a_sentence(string errors, string first) =>
        Assert.Equal(new UpstreamError(ErrorShape.Problem, null, $"One or more fields are wrong. {first}", true),
            Read($$"""{"title":"One or more fields are wrong.","status":400,"errors":{{errors}}}"""));

    [Theory]
    [InlineData("""{"quantity":[1, 2]}""")]
    [InlineData("""{"quantity":["   "]}""")]
    [InlineData("""[]""")]
    public void Validation_errors_without_words_leave_the_message_alone_but_still_count(string errors) =>
        Assert.Equal(new UpstreamError(ErrorShape.Problem, null, "Bad order.", true),
            Read($$"""{"title":"Bad order.","status":400,"errors":{{errors}}}"""));

    [Fact]
    public void Errors_that_are_neither_an_object_nor_an_array_are_not_validation_errors() =>
        Assert.Equal(new UpstreamError(ErrorShape.Problem, null, "Bad order.", false),
            Read("""{"title":"Bad order.","status":400,"errors":"several"}"""));

    [Fact]
    public void Any_other_object_with_a_message_is_generic_with_its_code() =>
        Assert.Equal(new UpstreamError(ErrorShape.Generic, "ORDER_LOCKED", "The order is locked.", false),
            Read("""{"message":"The order is locked.","code":"ORDER_LOCKED"}"""));

    private static UpstreamError Read(string json) => UpstreamError.FromJson(JsonElement.Parse(json));
}
