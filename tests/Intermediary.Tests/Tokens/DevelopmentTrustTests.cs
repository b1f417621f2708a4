using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Intermediary.Configuration;
using Intermediary.Tokens;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Intermediary.Tests.Tokens;

/// <summary>The development-only trust of one self-signed certificate for the token client.</summary>
public sealed class DevelopmentTrustTests : IDisposable
{
    private readonly X509Certificate2 _trusted = SelfSigned("CN=localhost");
    private readonly X509Certificate2 _other = SelfSigned("CN=localhost");

    [Fact]
    public void A_server_the_system_trusts_is_accepted_whatever_it_presents() =>
        Assert.True(DevelopmentTrust.Accepts(_other, SslPolicyErrors.None, _trusted));

    [Fact]
    public void The_trusted_certificate_is_accepted_although_its_chain_is_not() =>
        Assert.True(DevelopmentTrust.Accepts(_trusted, SslPolicyErrors.RemoteCertificateChainErrors, _trusted));

    [Fact]
    public void Another_self_signed_certificate_is_refused() =>
        Assert.False(DevelopmentTrust.Accepts(_other, SslPolicyErrors.RemoteCertificateChainErrors, _trusted));

    [Theory]
    [InlineData(SslPolicyErrors.RemoteCertificateNameMismatch)]
    [InlineData(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)]
    [InlineData(SslPolicyErrors.RemoteCertificateNotAvailable)]
    public void The_trusted_certificate_does_not_excuse_any_other_fault(SslPolicyErrors errors) =>
        Assert.False(DevelopmentTrust.Accepts(_trusted, errors, _trusted));

    [Fact]
    public void No_certificate_is_refused() =>
        Assert.False(DevelopmentTrust.Accepts(null, SslPolicyErrors.RemoteCertificateChainErrors, _trusted));

    [Fact]
    public void Pem_and_base64_der_are_read_and_anything_else_is_not()
    {
        Assert.Equal(_trusted.RawData, DevelopmentTrust.Parse(_trusted.ExportCertificatePem())!.RawData);
        Assert.Equal(_trusted.RawData, DevelopmentTrust.Parse(Convert.ToBase64String(_trusted.RawData))!.RawData);
        Assert.Null(DevelopmentTrust.Parse("not a certificate"));
        Assert.Null(DevelopmentTrust.Parse(Convert.ToBase64String([1, 2, 3])));
    }

    [Fact]
    public void Both_handler_kinds_get_the_check_and_others_are_refused()
    {
        using var sockets = new SocketsHttpHandler();
        using var client = new HttpClientHandler();

        DevelopmentTrust.Apply(sockets, _trusted);
        DevelopmentTrust.Apply(client, _trusted);

        Assert.True(sockets.SslOptions.RemoteCertificateValidationCallback!(this, _trusted, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(sockets.SslOptions.RemoteCertificateValidationCallback!(this, _other, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(client.ServerCertificateCustomValidationCallback!(new HttpRequestMessage(), _trusted, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(client.ServerCertificateCustomValidationCallback!(new HttpRequestMessage(), _other, null, SslPolicyErrors.RemoteCertificateChainErrors));
        var unknown = Assert.Throws<InvalidOperationException>(() => DevelopmentTrust.Apply(new PassThrough(), _trusted));
        Assert.Equal("The token client's handler (PassThrough) cannot be given a development certificate.", unknown.Message);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData(null)]
    public void The_setting_is_refused_outside_development(string? environment)
    {
        var validator = new DevelopmentTrustValidator(environment is null ? null : new Environment(environment));

        var result = validator.Validate(null, new IntermediaryOptions { DevelopmentTrustedCertificate = _trusted.ExportCertificatePem() });

        Assert.True(result.Failed);
        Assert.Contains("Intermediary:DevelopmentTrustedCertificate", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(environment ?? "unknown", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void In_development_the_setting_must_be_a_certificate()
    {
        var validator = new DevelopmentTrustValidator(new Environment(Environments.Development));

        Assert.True(validator.Validate(null, new IntermediaryOptions { DevelopmentTrustedCertificate = _trusted.ExportCertificatePem() }).Succeeded);
        Assert.True(validator.Validate(null, new IntermediaryOptions { DevelopmentTrustedCertificate = "garbage" }).Failed);
        Assert.True(new DevelopmentTrustValidator(new Environment("Production")).Validate(null, new IntermediaryOptions()).Succeeded);
    }

    public void Dispose()
    {
        _trusted.Dispose();
        _other.Dispose();
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private sealed class PassThrough : DelegatingHandler;

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
