using Azure.Identity;

namespace Intermediary.Tokens;

/// <summary>The app's managed identity: user-assigned when a client id is configured, otherwise system-assigned.</summary>
internal static class ManagedIdentities
{
    public static ManagedIdentityCredential For(string? clientId) =>
        new(string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));
}
