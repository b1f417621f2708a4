// dev: the quick start. Client secret credential, and the demo-style API (/items) created in an existing dev
// APIM instance; Intermediary's BaseUrl is that API's URL. Replace every <placeholder>. Secrets are passed at
// deployment time, never written here:
//   az deployment group create -g rg-intermediary-dev -f infra/main.bicep -p infra/environments/dev.bicepparam \
//     -p upstreamClientSecret="$UPSTREAM_CLIENT_SECRET" -p apimSubscriptionKey="$APIM_SUBSCRIPTION_KEY"
using '../main.bicep'

param baseName = 'intermediary-dev'
param tags = {
  app: 'intermediary'
  environment: 'dev'
}

// Flex Consumption: small scale-out limit for dev.
param maximumInstanceCount = 40
param instanceMemoryMB = 2048
param storageSkuName = 'Standard_LRS'
param logRetentionInDays = 30
// Shorter recovery window for dev (purge protection stays on).
param keyVaultSoftDeleteRetentionInDays = 7

param errorMode = 'Body'

// upstreamName: not set here; it is the name the connector sends (see main.bicep).
// Empty: the URL of the API created in APIM below (https://<dev-apim-name>.azure-api.net/orders/).
param upstreamBaseUrl = ''
param allowedPaths = [
  '/items'
]
param forwardedHeaders = [
  'Accept'
  'Content-Type'
  'Idempotency-Key'
]
param credential = 'ClientSecret'
param upstreamTenantId = '<tenant-id-guid>'
param upstreamClientId = '<intermediary-app-client-id-guid>'
param upstreamScope = 'api://<backend-app-id>/.default'
param useApimSubscriptionKey = true

// APIM: API + operations + product + policies + subscription in an existing instance.
param deployApim = true
param apimName = '<dev-apim-name>'
param apimResourceGroupName = '<dev-apim-resource-group>'
param apimApiPath = 'orders'
param apimBackendUrl = 'https://<dev-backend-host>/'
param apimAudience = 'api://<backend-app-id>'
param apimRequiredAppRole = 'Api.Access'
param apimRateLimitCalls = 60
param apimRateLimitRenewalPeriod = 60
param apimQuotaCalls = 10000
param apimQuotaRenewalPeriod = 86400
