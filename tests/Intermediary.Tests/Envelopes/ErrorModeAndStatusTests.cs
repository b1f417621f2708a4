using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Tests.Envelopes;

public sealed class ErrorModeAndStatusTests
{
    [Theory]
    [InlineData("status", null, ErrorMode.Body, ErrorMode.Status)]
    [InlineData(" Status ", null, ErrorMode.Body, ErrorMode.Status)]
    [InlineData("BODY", null, ErrorMode.Status, ErrorMode.Body)]
    [InlineData("body", "status", ErrorMode.Status, ErrorMode.Body)]
    [InlineData("   ", "status", ErrorMode.Body, ErrorMode.Status)]
    [InlineData(null, "body", ErrorMode.Status, ErrorMode.Body)]
    [InlineData("loud", null, ErrorMode.Status, ErrorMode.Status)]
    [InlineData("", "", ErrorMode.Body, ErrorMode.Body)]
    public void The_header_wins_over_the_query_and_anything_else_keeps_the_configured_mode(
        string? header, string? query, ErrorMode configured, ErrorMode expected)
    {
        var request = new DefaultHttpContext().Request;
        if (header is not null)
        {
            request.Headers[ErrorModeSelector.HeaderName] = header;
        }

        if (query is not null)
        {
            request.QueryString = QueryString.Create(ErrorModeSelector.QueryName, query);
        }

        Assert.Equal(expected, ErrorModeSelector.Select(request, configured));
    }

    [Theory]
    [InlineData(EnvelopeCode.Ok, 200)]
    [InlineData(EnvelopeCode.Accepted, 202)]
    [InlineData(EnvelopeCode.BadRequest, 400)]
    [InlineData(EnvelopeCode.ValidationFailed, 400)]
    [InlineData(EnvelopeCode.InvalidRequest, 400)]
    [InlineData(EnvelopeCode.Unauthenticated, 401)]
    [InlineData(EnvelopeCode.InteractionRequired, 401)]
    [InlineData(EnvelopeCode.Forbidden, 403)]
    [InlineData(EnvelopeCode.PathNotAllowed, 403)]
    [InlineData(EnvelopeCode.QuotaExceeded, 403)]
    [InlineData(EnvelopeCode.ConsentRequired, 403)]
    [InlineData(EnvelopeCode.NotFound, 404)]
    [InlineData(EnvelopeCode.JobNotFound, 404)]
    [InlineData(EnvelopeCode.MethodNotAllowed, 405)]
    [InlineData(EnvelopeCode.Conflict, 409)]
    [InlineData(EnvelopeCode.PayloadTooLarge, 413)]
    [InlineData(EnvelopeCode.RateLimited, 429)]
    [InlineData(EnvelopeCode.InternalError, 500)]
    [InlineData(EnvelopeCode.ServiceUnavailable, 503)]
    [InlineData(EnvelopeCode.CircuitOpen, 503)]
    [InlineData(EnvelopeCode.GatewayTimeout, 504)]
    [InlineData(EnvelopeCode.Timeout, 504)]
    [InlineData(EnvelopeCode.JobFailed, 200)]
    [InlineData(EnvelopeCode.JobCanceled, 200)]
    [InlineData(EnvelopeCode.NetworkError, 502)]
    [InlineData(EnvelopeCode.InvalidResponse, 502)]
    [InlineData(EnvelopeCode.BadGateway, 502)]
    [InlineData(EnvelopeCode.UpstreamError, 502)]
    [InlineData(EnvelopeCode.Unauthorized, 502)]
    [InlineData(EnvelopeCode.SubscriptionKeyInvalid, 502)]
    [InlineData(EnvelopeCode.TokenAcquisitionFailed, 502)]
    public void Each_code_the_service_decides_has_its_status(EnvelopeCode code, int status) =>
        Assert.Equal(status, Envelope.Failure(code, "x").Status);
}
