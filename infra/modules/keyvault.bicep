// Key Vault (RBAC authorization, soft delete, purge protection) holding the upstream secrets the function app
// reads through Key Vault references. A secret is written only when its value is passed to the deployment, so a
// redeployment without the secret (e.g. from CI) keeps the value already in the vault, and secrets rotated with
// `az keyvault secret set` are not overwritten.

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Name of the Key Vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted vault or secret can be recovered (7-90). Purge protection keeps it for this long.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Client secret of the Intermediary app registration. Empty: the secret is not written.')
@secure()
param upstreamClientSecret string

@description('APIM subscription key Intermediary sends as Ocp-Apim-Subscription-Key. Empty: the secret is not written.')
@secure()
param apimSubscriptionKey string

@description('Name of the secret holding the upstream client secret.')
param upstreamClientSecretName string

@description('Name of the secret holding the APIM subscription key.')
param apimSubscriptionKeyName string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource clientSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(upstreamClientSecret)) {
  parent: vault
  name: upstreamClientSecretName
  properties: {
    value: upstreamClientSecret
    contentType: 'text/plain'
  }
}

resource subscriptionKey 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(apimSubscriptionKey)) {
  parent: vault
  name: apimSubscriptionKeyName
  properties: {
    value: apimSubscriptionKey
    contentType: 'text/plain'
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('Resource id of the vault.')
output id string = vault.id

@description('Vault URI (https://<name>.vault.<suffix>/).')
output vaultUri string = vault.properties.vaultUri

// Versionless secret URIs (the same value as the secret's properties.secretUri): the Key Vault reference always
// resolves the current version, so a rotated secret is picked up without a redeployment. They are built from the
// vault URI rather than the conditional secret resources so that they are valid when the secret was written by an
// earlier deployment or by hand.
@description('Versionless URI of the upstream client secret (not the secret itself).')
output upstreamClientSecretUri string = '${vault.properties.vaultUri}secrets/${upstreamClientSecretName}'

@description('Versionless URI of the APIM subscription key secret (not the secret itself).')
output apimSubscriptionKeyUri string = '${vault.properties.vaultUri}secrets/${apimSubscriptionKeyName}'
