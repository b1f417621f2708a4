using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Intermediary.Tokens;

/// <summary>
/// Trust for exactly one self-signed certificate on the token client, for a local identity provider such as the
/// simulator (<c>Intermediary:DevelopmentTrustedCertificate</c>). Only in the Development environment (the
/// validator refuses the setting elsewhere), only for MSAL's client, and only that certificate: every other server
/// is validated as usual, and a name mismatch or an expired certificate is never excused.
/// </summary>
internal static class DevelopmentTrust
{
    /// <summary>Reads a certificate given as PEM text or as base64 DER; null when it is neither.</summary>
    public static X509Certificate2? Parse(string value)
    {
        try
        {
            var text = value.Trim();
            return text.StartsWith("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text));
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the system trusts the server, or when the only fault is an untrusted chain and the server presented
    /// the trusted certificate itself.
    /// </summary>
    public static bool Accepts(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2 trusted) =>
        errors == SslPolicyErrors.None
        || (errors == SslPolicyErrors.RemoteCertificateChainErrors
            && presented is not null
            && presented.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));

    /// <summary>Makes <paramref name="handler"/> (the client's primary handler) also accept <paramref name="trusted"/>.</summary>
    public static void Apply(HttpMessageHandler handler, X509Certificate2 trusted)
    {
        switch (handler)
        {
            case SocketsHttpHandler sockets:
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Accepts(certificate, errors, trusted);
                break;
            case HttpClientHandler client:
                client.ServerCertificateCustomValidationCallback = (_, certificate, _, errors) => Accepts(certificate, errors, trusted);
                break;
            default:
                throw new InvalidOperationException($"The token client's handler ({handler.GetType().Name}) cannot be given a development certificate.");
        }
    }
}
