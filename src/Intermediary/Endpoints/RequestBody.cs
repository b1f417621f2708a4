using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Endpoints;

/// <summary>The caller's body, buffered (it may be sent more than once) and bounded.</summary>
internal readonly record struct RequestBody(ReadOnlyMemory<byte>? Content, bool TooLarge)
{
    public static async ValueTask<RequestBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return new(null, true);
        }

        if (request.ContentLength == 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0
            && HttpMethods.IsGet(request.Method)))
        {
            return new(null, false);
        }

        var content = await BoundedRead.ReadAsync(request.Body, limit, cancellationToken, length: request.ContentLength);
        if (content is not { } bytes)
        {
            return new(null, true);
        }

        return bytes.IsEmpty && request.ContentLength is null ? new(null, false) : new(bytes, false);
    }
}
