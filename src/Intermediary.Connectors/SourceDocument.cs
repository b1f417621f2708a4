using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Intermediary.Connectors;

/// <summary>The upstream's OpenAPI document (2.0, 3.0 or 3.1; JSON or YAML), read with Microsoft.OpenApi.</summary>
internal static class SourceDocument
{
    /// <summary>Reads a file, or a document served over HTTP(S) (e.g. an APIM export URL).</summary>
    public static async Task<OpenApiDocument> LoadAsync(string location, HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        byte[] content;
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            using var owned = http is null ? new HttpClient() : null;
            try
            {
                content = await (http ?? owned!).GetByteArrayAsync(uri, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                throw new GeneratorException($"Could not download the OpenAPI document from {location}: {ex.Message}");
            }
        }
        else
        {
            try
            {
                content = await File.ReadAllBytesAsync(location, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new GeneratorException($"Could not read the OpenAPI document '{location}': {ex.Message}");
            }
        }

        return Parse(content, location);
    }

    /// <summary>Parses a document; <paramref name="name"/> is only used in error messages.</summary>
    public static OpenApiDocument Parse(byte[] content, string name)
    {
        var settings = new OpenApiReaderSettings();
        settings.AddYamlReader();
        var format = LooksLikeJson(content) ? OpenApiConstants.Json : OpenApiConstants.Yaml;
        ReadResult result;
        using (var stream = new MemoryStream(content, writable: false))
        {
            try
            {
                result = OpenApiDocument.Load(stream, format, settings);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new GeneratorException($"'{name}' is not a readable OpenAPI document: {ex.Message}");
            }
        }

        var errors = result.Diagnostic?.Errors ?? [];
        if (result.Document is not { } document || errors.Count > 0)
        {
            var detail = errors.Count == 0 ? "it could not be parsed" : string.Join("; ", errors.Take(5).Select(e => $"{e.Pointer}: {e.Message}"));
            throw new GeneratorException($"'{name}' is not a valid OpenAPI 2.0/3.0/3.1 document: {detail}");
        }

        if (document.Paths is null || document.Paths.Count == 0)
        {
            throw new GeneratorException($"'{name}' describes no paths: there is nothing to generate.");
        }

        return document;
    }

    private static bool LooksLikeJson(byte[] content)
    {
        foreach (var b in content)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }
}

/// <summary>A problem with the input a user can fix: printed as one line, exit code 2.</summary>
internal sealed class GeneratorException(string message) : Exception(message);
