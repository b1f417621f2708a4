// prod: the same templates, a second resource group. No client secret at all: the app registration trusts the
// function app's user-assigned managed identity (federated identity credential, see infra/README.md). The APIM API
// is managed by the platform team, so deployApim is false and BaseUrl points at it. Replace every <placeholder>.
//   az deployment group create -g rg-intermediary-prod -f infra/main.bicep -p infra/environments/prod.bicepparam \
//     -p apimSubscriptionKey="$APIM_SUBSCRIPTION_KEY"
// To take the key from an existing operations vault instead of the command line, add:
//   param apimSubscriptionKey = az.getSecret('<subscription-id>', '<ops-rg>', '<ops-vault>', 'orders-apim-subscription-key')
using '../main.bicep'

param baseName = 'intermediary'
param tags = {
  app: 'intermediary'
  environment: 'prod'
}

param maximumInstanceCount = 200
param instanceMemoryMB = 2048
param storageSkuName = 'Standard_ZRS'
param logRetentionInDays = 90
param keyVaultSoftDeleteRetentionInDays = 90
// Object id of the group that rotates secrets (Key Vault Secrets Officer); empty: none.
param vaultOperatorPrincipalId = ''
param vaultOperatorPrincipalType = 'Group'

param errorMode = 'Body'

// upstreamName: not set here; it is the name the connector sends (see main.bicep).
param upstreamBaseUrl = 'https://<prod-apim-name>.azure-api.net/orders/'
param allowedPaths = [
  '/orders'
]
param forwardedHeaders = [
  'Accept'
  'Content-Type'
  'Idempotency-Key'
]
param credential = 'FederatedManagedIdentity'
param upstreamTenantId = '<tenant-id-guid>'
param upstreamClientId = '<intermediary-app-client-id-guid>'
param upstreamScope = 'api://<backend-app-id>/.default'
param useApimSubscriptionKey = true

// Resilience and jobs: the README defaults, written out so that prod changes are reviewed here.
param resilienceTotalTimeout = '00:01:20'
param resilienceAttemptTimeout = '00:00:20'
param resilienceMaxRetries = 4
param jobTimeout = '00:10:00'
param jobTimeToLive = '1.00:00:00'

param deployApim = false
