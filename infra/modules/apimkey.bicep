// Copies the primary key of Intermediary's APIM subscription (created by apim.bicep) into Key Vault, so a
// deployment with deployApim needs no manual key handling. The key travels from APIM to Key Vault inside the
// deployment (listSecrets) and never appears in parameters or outputs.

@description('Name of the Key Vault (in this module\'s resource group).')
param keyVaultName string

@description('Name of the secret that receives the subscription key.')
param secretName string

@description('Name of the API Management instance.')
param apimName string

@description('Resource group of the API Management instance.')
param apimResourceGroupName string

@description('Name (id) of the APIM subscription whose primary key is stored.')
param subscriptionName string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: apimName
  scope: resourceGroup(apimResourceGroupName)
}

resource subscription 'Microsoft.ApiManagement/service/subscriptions@2024-05-01' existing = {
  parent: apim
  name: subscriptionName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretName
  properties: {
    value: subscription.listSecrets().primaryKey
    contentType: 'text/plain'
  }
}
