using System.Text;
using System.Text.Json;
using Intermediary.Security;

namespace Intermediary.Tests.Security;

public sealed class CredentialEchoesTests
{
    private const string Token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZXJ2aWNlIn0.c2lnbmF0dXJl";
    private const string Key = "subscription-key-0123456789";

    [Fact]
    public void A_body_without_credentials_comes_back_as_the_same_memory()
    {
        ReadOnlyMemory<byte> body = Encoding.UTF8.GetBytes("""{"items":[1,2,3],"authorization":"approved"}""");

        var (redacted, count) = CredentialEchoes.Redact(body, [Token, Key]);

        Assert.Equal(0, count);
        Assert.True(redacted.Equals(body), "an untouched body is not copied");
    }

    [Fact]
    public void Every_literal_occurrence_in_json_is_replaced_and_counted()
    {
        var (redacted, count) = Redact($$"""{"headers":{"Authorization":"Bearer {{Token}}","Ocp-Apim-Subscription-Key":"{{Key}}"},"again":"{{Token}}{{Token}}"}""");

        Assert.Equal(4, count);
        Assert.DoesNotContain(Token, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, redacted, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(redacted);
        Assert.Equal("Bearer [redacted]", json.RootElement.GetProperty("headers").GetProperty("Authorization").GetString());
        Assert.Equal("[redacted][redacted]", json.RootElement.GetProperty("again").GetString());
    }

    [Fact]
    public void Text_html_and_other_bodies_are_redacted_too()
    {
        var (redacted, count) = Redact($"Authorization: Bearer {Token}\r\nOcp-Apim-Subscription-Key: {Key}\r\n");

        Assert.Equal(2, count);
        Assert.Equal("Authorization: Bearer [redacted]\r\nOcp-Apim-Subscription-Key: [redacted]\r\n", redacted);
    }

    [Fact]
    public void A_credential_hidden_behind_json_escapes_is_found_in_the_parsed_string()
    {
        var escaped = string.Concat(Key.Select(c => $"\\u{(int)c:x4}"));

        var (redacted, count) = Redact($$"""{"echo":"key={{escaped}}"}""");

        Assert.Equal(1, count);
        using var json = JsonDocument.Parse(redacted);
        Assert.Equal("key=[redacted]", json.RootElement.GetProperty("echo").GetString());
    }

    [Fact]
    public void Credential_header_echoes_are_removed_even_when_the_value_is_not_ours()
    {
        // A token this call did not send (e.g. one from an earlier call) is still a credential.
        var (redacted, count) = Redact("""{"headers":{"authorization":["Bearer some-other-token-value"],"OCP-APIM-SUBSCRIPTION-KEY":"other-key-value","Proxy-Authorization":"Basic cHJveHk6dXNlcg=="}}""");

        Assert.Equal(3, count);
        using var json = JsonDocument.Parse(redacted);
        var headers = json.RootElement.GetProperty("headers");
        Assert.Equal("[redacted]", headers.GetProperty("authorization")[0].GetString());
        Assert.Equal("[redacted]", headers.GetProperty("OCP-APIM-SUBSCRIPTION-KEY").GetString());
        Assert.Equal("[redacted]", headers.GetProperty("Proxy-Authorization").GetString());
    }

    [Fact]
    public void A_business_field_named_authorization_without_a_scheme_is_kept()
    {
        var (redacted, count) = Redact("""{"payment":{"authorization":"approved","Authorization":"AUTH-7781"}}""");

        Assert.Equal(0, count);
        Assert.Contains("approved", redacted, StringComparison.Ordinal);
        Assert.Contains("AUTH-7781", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_and_missing_credentials_are_ignored()
    {
        var (redacted, count) = CredentialEchoes.Redact(Encoding.UTF8.GetBytes("""{"a":"abc","b":"1234567"}"""), ["abc", "1234567", null, ""]);

        Assert.Equal(0, count);
        Assert.Equal("""{"a":"abc","b":"1234567"}""", Encoding.UTF8.GetString(redacted.Span));
    }

    [Fact]
    public void Invalid_json_keeps_the_literal_pass()
    {
        var (redacted, count) = Redact($$"""{"broken": "Bearer {{Token}}", \u""");

        Assert.Equal(1, count);
        Assert.DoesNotContain(Token, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_key_echo_alone_makes_the_json_worth_parsing()
    {
        // No other header name and no escape in the body: only the function-key name itself can send it to the parser.
        var (redacted, count) = Redact("""{"x-functions-key":"someone-elses-function-key"}""");

        Assert.Equal(1, count);
        Assert.Equal("""{"x-functions-key":"[redacted]"}""", redacted);
    }

    [Fact]
    public void A_credential_of_exactly_eight_characters_is_redacted_in_both_passes()
    {
        const string Short = "k8-chars";
        var escaped = string.Concat(Short.Select(c => $"\\u{(int)c:x4}"));

        var (literal, literalCount) = CredentialEchoes.Redact(Encoding.UTF8.GetBytes($"key {Short}"), [Short]);
        var (json, jsonCount) = CredentialEchoes.Redact(Encoding.UTF8.GetBytes($$"""{"echo":"{{escaped}}"}"""), [Short]);

        Assert.Equal((1, "key [redacted]"), (literalCount, Encoding.UTF8.GetString(literal.Span)));
        Assert.Equal((1, """{"echo":"[redacted]"}"""), (jsonCount, Encoding.UTF8.GetString(json.Span)));
    }

    [Fact]
    public void Credentials_at_the_very_start_and_back_to_back_are_all_replaced()
    {
        var (redacted, count) = Redact($"{Token}{Token} {Key}");

        Assert.Equal(3, count);
        Assert.Equal("[redacted][redacted] [redacted]", redacted);
    }

    [Fact]
    public void Echoes_inside_arrays_of_objects_are_counted_once_each()
    {
        var (redacted, count) = Redact("""{"requests":[{"Authorization":"Bearer first-token-value"},{"Authorization":"Basic c2Vjb25kOnZhbHVl"}]}""");

        Assert.Equal(2, count);
        Assert.Equal("""{"requests":[{"Authorization":"[redacted]"},{"Authorization":"[redacted]"}]}""", redacted);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \r\n\t ")]
    public void Empty_and_blank_bodies_come_back_unchanged(string body)
    {
        var (redacted, count) = Redact(body);

        Assert.Equal((0, body), (count, redacted));
    }

    [Fact]
    public void A_missing_credential_list_is_a_programming_error()
    {
        Assert.Throws<ArgumentNullException>(() => CredentialEchoes.Redact(ReadOnlyMemory<byte>.Empty, null!));
    }

    private static (string Body, int Count) Redact(string body)
    {
        var (redacted, count) = CredentialEchoes.Redact(Encoding.UTF8.GetBytes(body), [Token, Key, null]);
        return (Encoding.UTF8.GetString(redacted.Span), count);
    }
}
