using Intermediary.Tokens;
using Microsoft.Identity.Client;

namespace Intermediary.Tests.Tokens;

/// <summary>
/// How MSAL's answers become token results where the simulator cannot make MSAL give them (a client-side error, a
/// network failure) and how Entra's descriptions are cut to their first sentence. The identity provider's own error
/// answers are covered over HTTPS in <c>TokenProviderTests</c>.
/// </summary>
public sealed class MsalOutcomeTests
{
    private const string Prefix = "Could not get a token: ";

    [Fact]
    public async Task A_client_side_msal_error_names_its_code_and_is_not_retryable()
    {
        var result = await MsalTokenSource.RunAsync(() => throw new MsalClientException("invalid_client_certificate", "A secret-looking detail"), Prefix);

        Assert.Equal(
            (Prefix + "the token request could not be made (invalid_client_certificate).", "invalid_client_certificate", (int?)null, false),
            (result.Failure!.Message, result.Failure.ErrorCode, result.Failure.HttpStatus, result.Failure.Retryable));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("io")]
    [InlineData("timeout")]
    public async Task An_identity_provider_that_cannot_be_reached_is_a_retryable_failure_without_a_code(string failure)
    {
        Exception thrown = failure switch
        {
            "http" => new HttpRequestException("No such host is known. (login.example)"),
            "io" => new IOException("The response ended prematurely."),
            _ => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout."),
        };

        var result = await MsalTokenSource.RunAsync(() => throw thrown, Prefix);

        Assert.Equal(
            (Prefix + "the identity provider could not be reached.", (string?)null, (int?)null, true),
            (result.Failure!.Message, result.Failure.ErrorCode, result.Failure.HttpStatus, result.Failure.Retryable));
    }

    [Fact]
    public async Task Any_other_exception_is_not_turned_into_a_token_failure()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => MsalTokenSource.RunAsync(() => throw new InvalidOperationException("a bug"), Prefix));
    }

    [Theory]
    [InlineData("AADSTS700016: Application with identifier 'x' was not found. Trace ID: 1 Correlation ID: 2", "AADSTS700016", "AADSTS700016: Application with identifier 'x' was not found.")]
    [InlineData("invalid_client: AADSTS7000215: Invalid client secret. Trace ID: 1", "AADSTS7000215", "AADSTS7000215: Invalid client secret.")]
    [InlineData("Service is unavailable. Try again. Trace ID: 1", null, "Service is unavailable.")]
    [InlineData("Service is unavailable. Try again.", "not_in_the_message", "Service is unavailable.")]
    [InlineData("One sentence without a space after its full stop.", null, "One sentence without a space after its full stop.")]
    [InlineData("  Spread\r\nover\nlines  ", null, "Spread over lines")]
    public void Entras_description_is_cut_to_the_first_sentence_from_its_code(string message, string? code, string expected)
    {
        Assert.Equal(expected, MsalTokenSource.FirstSentence(message, code));
    }

    [Fact]
    public void A_first_sentence_of_exactly_300_characters_is_kept_whole_and_a_longer_one_cut()
    {
        var exactly = new string('x', 300);
        var longer = new string('y', 301);

        Assert.Equal(exactly, MsalTokenSource.FirstSentence(exactly, null));
        Assert.Equal(new string('y', 300) + "…", MsalTokenSource.FirstSentence(longer, null));
    }

    [Theory]
    [InlineData("AADSTS50034: The user account does not exist.", "AADSTS50034")]
    [InlineData("prefix AADSTS9002313 suffix", "AADSTS9002313")]
    [InlineData("AADSTS123 is too short to be a code", null)]
    [InlineData("no code here", null)]
    [InlineData(null, null)]
    public void The_aadsts_code_is_found_anywhere_in_the_text(string? text, string? code)
    {
        Assert.Equal(code, MsalTokenSource.AadstsCode(text));
    }
}
