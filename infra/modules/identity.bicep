// The user-assigned managed identity the function app runs as: storage (host + jobs + deployment package),
// Key Vault references, Application Insights ingestion and, with Credential FederatedManagedIdentity, the
// federated credential that replaces the upstream client secret.

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object

@description('Name of the user-assigned managed identity.')
param name string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) id of the identity.')
output clientId string = identity.properties.clientId

@description('Principal (object) id of the identity: role assignments and the federated credential subject.')
output principalId string = identity.properties.principalId
