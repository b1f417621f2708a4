using Intermediary.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Intermediary.Configuration;

/// <summary>
/// <c>Intermediary:DevelopmentTrustedCertificate</c> is refused outside the Development environment, so a setting
/// copied into production cannot weaken TLS to the identity provider; in Development it must be one certificate.
/// </summary>
internal sealed class DevelopmentTrustValidator(IHostEnvironment? environment = null) : IValidateOptions<IntermediaryOptions>
{
    public const string Key = $"{IntermediaryOptions.SectionName}:{nameof(IntermediaryOptions.DevelopmentTrustedCertificate)}";

    public ValidateOptionsResult Validate(string? name, IntermediaryOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DevelopmentTrustedCertificate))
        {
            return ValidateOptionsResult.Success;
        }

        if (environment is null || !environment.IsDevelopment())
        {
            return ValidateOptionsResult.Fail(
                $"{Key} is for local development against the simulator only, and the environment is '{environment?.EnvironmentName ?? "unknown"}': remove the setting (or run with the Development environment).");
        }

        using var certificate = DevelopmentTrust.Parse(options.DevelopmentTrustedCertificate);
        return certificate is null
            ? ValidateOptionsResult.Fail($"{Key} must be one certificate, as PEM text or base64 DER (the simulator prints it).")
            : ValidateOptionsResult.Success;
    }
}
