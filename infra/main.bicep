// Intermediary on Azure: Function App (Flex Consumption, .NET 10 isolated worker) + storage (host, deployment
// package, job store) + Key Vault (upstream secrets) + Application Insights + user-assigned managed identity with
// least-privilege RBAC; optionally the upstream API, product and policies in an existing API Management instance.
// See infra/README.md for prerequisites, app registrations and the deployment command.

targetScope = 'resourceGroup'

import { cacheSettings, jobSettings, resilienceSettings } from 'modules/types.bicep'

// ---------------------------------------------------------------------------------------------------------------
// Naming and placement
// ---------------------------------------------------------------------------------------------------------------

@description('Short name every resource name is derived from (letters, digits and hyphens; e.g. "intermediary").')
@minLength(2)
@maxLength(20)
param baseName string = 'intermediary'

@description('Azure region of the resources (must offer Flex Consumption with dotnet-isolated 10.0).')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------------------------
// Function app hosting
// ---------------------------------------------------------------------------------------------------------------

@description('Flex Consumption: most instances the app scales out to (up to 1000; the platform enforces its own minimum).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('dotnet-isolated runtime version (see `az functionapp list-flexconsumption-runtimes --location <region> --runtime dotnet-isolated`).')
param runtimeVersion string = '10.0'

@description('Storage redundancy of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Days the Log Analytics workspace keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('''Disable instrumentation-key ingestion in Application Insights (Entra only). Both the host and the worker's
OpenTelemetry exporter authenticate with the managed identity; false until that is confirmed in a deployment. See infra/README.md.''')
param appInsightsDisableLocalAuth bool = false

@description('Days a deleted Key Vault or secret stays recoverable (purge protection is on).')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Optional: object id of a user or group that may set and rotate the vault\'s secrets (Key Vault Secrets Officer).')
param vaultOperatorPrincipalId string = ''

@description('Principal type of vaultOperatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOperatorPrincipalType string = 'User'

// ---------------------------------------------------------------------------------------------------------------
// Intermediary settings (docs/operations.md, "Configuration"); defaults are those documented there
// ---------------------------------------------------------------------------------------------------------------

@description('Intermediary:ErrorMode — error mode when the caller sends no X-Error-Mode header.')
@allowed([
  'Body'
  'Status'
])
param errorMode string = 'Body'

@description('Intermediary:PublicBaseUrl — the URL callers use (custom domain or proxy) for job status URLs; empty: taken from each request.')
param publicBaseUrl string = ''

@description('Intermediary:MaxRequestBodyBytes — larger request bodies get PayloadTooLarge.')
@minValue(1)
param maxRequestBodyBytes int = 1048576

@description('Intermediary:Jobs:Timeout — budget for one job.')
param jobTimeout string = '00:10:00'

@description('Intermediary:Jobs:TimeToLive — jobs and their results are kept this long.')
param jobTimeToLive string = '1.00:00:00'

@description('Intermediary:Jobs:PollInterval — Retry-After given to pollers (1 s - 5 min).')
param jobPollInterval string = '00:00:05'

@description('Intermediary:Jobs:MaxConcurrency (1-64).')
@minValue(1)
@maxValue(64)
param jobMaxConcurrency int = 4

@description('Intermediary:Jobs:LeaseDuration — a running job\'s claim, renewed while it runs.')
param jobLeaseDuration string = '00:01:00'

@description('Intermediary:Jobs:MaxDeliveries (1-20). host.json queues.maxDequeueCount (6) must stay one more.')
@minValue(1)
@maxValue(20)
param jobMaxDeliveries int = 5

@description('Intermediary:Jobs:Storage:VisibilityTimeout — how long a received job message stays hidden.')
param jobVisibilityTimeout string = '00:01:00'

// The connector's operations send the upstream name as a hidden parameter; reading it from the connector keeps the
// deployment and the connector in agreement by construction. To choose another name, change the connector's
// default (infra/connector/apiDefinition.swagger.json, parameter "upstream"); parameter files do not set it.
@description('Upstream name: the {upstream} route segment (/api/call/{upstream}/...) and Intermediary:Upstreams:{name}. Defaults to the name the custom connector sends; leave it unset unless the connector is changed too.')
param upstreamName string = loadJsonContent('connector/apiDefinition.swagger.json', '$.paths[\'/call/{upstream}/items\'].get.parameters[0].default')

@description('Intermediary:Upstreams:{name}:BaseUrl — the APIM API URL. Empty with deployApim: the API created in APIM.')
param upstreamBaseUrl string = ''

@description('Intermediary:Upstreams:{name}:AllowedPaths — path prefixes callers may reach (at least one).')
@minLength(1)
param allowedPaths string[] = [
  '/orders'
]

@description('Intermediary:Upstreams:{name}:ForwardedHeaders — caller headers copied upstream (empty: the app\'s default list).')
param forwardedHeaders string[] = [
  'Accept'
  'Content-Type'
  'Idempotency-Key'
]

@description('Intermediary:Upstreams:{name}:HealthPath — probed by /api/health.')
param healthPath string = '/'

@description('Intermediary:Upstreams:{name}:Credential — how Intermediary gets the upstream\'s bearer token (README "Tokens").')
@allowed([
  'ClientSecret'
  'Certificate'
  'FederatedManagedIdentity'
  'ClientAssertion'
  'ManagedIdentity'
  'None'
])
param credential string = 'ClientSecret'

@description('Intermediary:Upstreams:{name}:AuthorityHost — the Entra authority host of this cloud.')
param authorityHost string = environment().authentication.loginEndpoint

@description('Intermediary:Upstreams:{name}:TenantId — tenant of the Intermediary app registration.')
param upstreamTenantId string = tenant().tenantId

@description('Intermediary:Upstreams:{name}:ClientId — client id of the Intermediary app registration.')
param upstreamClientId string = ''

@description('Intermediary:Upstreams:{name}:Scope — e.g. api://<backend-app-id>/.default.')
param upstreamScope string = ''

@description('Intermediary:Upstreams:{name}:FederatedTokenAudience — audience of the managed identity\'s assertion (FederatedManagedIdentity).')
param federatedTokenAudience string = 'api://AzureADTokenExchange/.default'

@description('Intermediary:Upstreams:{name}:MaxResponseBodyBytes — larger upstream bodies become InvalidResponse.')
@minValue(1)
param maxResponseBodyBytes int = 10485760

@description('Intermediary:Upstreams:{name}:Resilience:TotalTimeout — the whole call, all attempts and waits.')
param resilienceTotalTimeout string = '00:01:20'

@description('Intermediary:Upstreams:{name}:Resilience:AttemptTimeout — one attempt including its body.')
param resilienceAttemptTimeout string = '00:00:20'

@description('Intermediary:Upstreams:{name}:Resilience:MaxRetries — retries after the first attempt (0-10).')
@minValue(0)
@maxValue(10)
param resilienceMaxRetries int = 4

@description('Intermediary:Upstreams:{name}:Resilience:BaseDelay — first backoff.')
param resilienceBaseDelay string = '00:00:01'

@description('Intermediary:Upstreams:{name}:Resilience:MaxDelay — backoff cap.')
param resilienceMaxDelay string = '00:00:20'

@description('Intermediary:Upstreams:{name}:Resilience:CircuitBreakerFailureRatio — in (0, 1], as a string.')
param resilienceCircuitBreakerFailureRatio string = '0.5'

@description('Intermediary:Upstreams:{name}:Resilience:CircuitBreakerMinimumThroughput (>= 2).')
@minValue(2)
param resilienceCircuitBreakerMinimumThroughput int = 20

@description('Intermediary:Upstreams:{name}:Resilience:CircuitBreakerSamplingDuration.')
param resilienceCircuitBreakerSamplingDuration string = '00:00:30'

@description('Intermediary:Upstreams:{name}:Resilience:CircuitBreakerBreakDuration.')
param resilienceCircuitBreakerBreakDuration string = '00:00:15'

@description('Intermediary:Upstreams:{name}:Cache:Paths — path prefixes whose reads go through the per-instance response cache (empty: none).')
param cachePaths string[] = []

@description('Intermediary:Upstreams:{name}:Cache:Ttl — how long a successful answer is served without asking again.')
param cacheTtl string = '00:00:10'

@description('Intermediary:Upstreams:{name}:Cache:StaleIfError — how long past Ttl a kept answer may stand in when the upstream fails.')
param cacheStaleIfError string = '00:00:00'

@description('Intermediary:Upstreams:{name}:Cache:VaryByCaller — keep each caller key\'s answers apart.')
param cacheVaryByCaller bool = false

@description('Intermediary:Upstreams:{name}:Cache:MaxEntryBytes — larger answers are not kept.')
@minValue(1)
param cacheMaxEntryBytes int = 262144

// ---------------------------------------------------------------------------------------------------------------
// Secrets: never in parameter files. Pass on the command line (-p upstreamClientSecret=...), from the environment
// (readEnvironmentVariable in a .bicepparam) or from another vault (getSecret in a .bicepparam). Empty: the secret
// is not written, and the one already in the vault is kept.
// ---------------------------------------------------------------------------------------------------------------

@description('Client secret of the Intermediary app registration (credential ClientSecret). Stored in Key Vault.')
@secure()
param upstreamClientSecret string = ''

@description('APIM subscription key Intermediary sends as Ocp-Apim-Subscription-Key. Stored in Key Vault.')
@secure()
param apimSubscriptionKey string = ''

@description('Send Ocp-Apim-Subscription-Key from the Key Vault secret "apim-subscription-key".')
param useApimSubscriptionKey bool = true

@description('Key Vault certificate (imported PFX) used when credential is Certificate; read through its secret.')
param upstreamCertificateName string = 'upstream-certificate'

// ---------------------------------------------------------------------------------------------------------------
// API Management (optional): API, operations, product, policies and a subscription in an EXISTING instance
// ---------------------------------------------------------------------------------------------------------------

@description('Create the upstream API, product, policies and named values in an existing API Management instance.')
param deployApim bool = false

@description('Name of the existing API Management instance (required when deployApim is true).')
param apimName string = ''

@description('Resource group of the API Management instance (same subscription).')
param apimResourceGroupName string = resourceGroup().name

@description('URL suffix of the API in APIM.')
param apimApiPath string = upstreamName

@description('Backend URL APIM forwards the API to (required when deployApim is true).')
param apimBackendUrl string = ''

@description('Audience of the tokens Intermediary presents (validate-jwt), e.g. api://<backend-app-id>.')
param apimAudience string = ''

@description('App role the token must carry (validate-jwt required claim "roles").')
param apimRequiredAppRole string = 'Api.Access'

@description('Product rate limit: calls per subscription per period.')
@minValue(1)
param apimRateLimitCalls int = 100

@description('Product rate limit: period in seconds.')
@minValue(1)
@maxValue(300)
param apimRateLimitRenewalPeriod int = 60

@description('Product quota: calls per subscription per period.')
@minValue(1)
param apimQuotaCalls int = 100000

@description('Product quota: period in seconds (86400 = a day).')
@minValue(3600)
param apimQuotaRenewalPeriod int = 86400

@description('Optional secret APIM adds as a header for the backend (secret named value). Empty: none.')
@secure()
param apimBackendSecret string = ''

@description('Header that carries apimBackendSecret to the backend.')
param apimBackendHeaderName string = 'X-Backend-Key'

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

var resourceToken = uniqueString(resourceGroup().id)
var name = toLower(baseName)
var compactName = replace(name, '-', '')
var names = {
  identity: 'id-${name}-${resourceToken}'
  logAnalytics: 'log-${name}-${resourceToken}'
  applicationInsights: 'appi-${name}-${resourceToken}'
  storage: 'st${take(compactName, 9)}${resourceToken}'
  keyVault: 'kv-${take(compactName, 7)}-${resourceToken}'
  plan: 'plan-${name}-${resourceToken}'
  functionApp: 'func-${name}-${resourceToken}'
}
var deploymentContainerName = 'app-package-${take(names.functionApp, 50)}'
var apimSubscriptionName = 'intermediary-${upstreamName}'
var secretNames = {
  clientSecret: 'upstream-client-secret'
  subscriptionKey: 'apim-subscription-key'
}

// ---------------------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------------------

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: tags
    name: names.identity
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    retentionInDays: logRetentionInDays
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    jobsContainerName: 'intermediary-jobs'
    jobsQueueName: 'intermediary-jobs'
    jobsTableName: 'IntermediaryJobs'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    upstreamClientSecret: upstreamClientSecret
    apimSubscriptionKey: apimSubscriptionKey
    upstreamClientSecretName: secretNames.clientSecret
    apimSubscriptionKeyName: secretNames.subscriptionKey
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    // Names known before deployment (not module outputs), so What-If can predict the assignments.
    identityName: names.identity
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
    vaultOperatorPrincipalId: vaultOperatorPrincipalId
    vaultOperatorPrincipalType: vaultOperatorPrincipalType
  }
  dependsOn: [
    identity
    storage
    keyVault
    monitoring
  ]
}

module apim 'modules/apim.bicep' = if (deployApim) {
  name: 'apim'
  scope: resourceGroup(apimResourceGroupName)
  params: {
    apimName: apimName
    apiName: '${upstreamName}-api'
    apiDisplayName: '${upstreamName} API'
    apiPath: apimApiPath
    backendUrl: apimBackendUrl
    productName: 'intermediary'
    productDisplayName: 'Intermediary'
    subscriptionName: apimSubscriptionName
    tenantId: upstreamTenantId
    audience: apimAudience
    requiredAppRole: apimRequiredAppRole
    rateLimitCalls: apimRateLimitCalls
    rateLimitRenewalPeriod: apimRateLimitRenewalPeriod
    quotaCalls: apimQuotaCalls
    quotaRenewalPeriod: apimQuotaRenewalPeriod
    backendSecret: apimBackendSecret
    backendHeaderName: apimBackendHeaderName
  }
}

// With deployApim and no apimSubscriptionKey passed, the key of the subscription apim.bicep created goes straight
// from APIM into Key Vault.
module apimKey 'modules/apimkey.bicep' = if (deployApim && empty(apimSubscriptionKey)) {
  name: 'apim-subscription-key'
  params: {
    keyVaultName: names.keyVault
    secretName: secretNames.subscriptionKey
    apimName: apimName
    apimResourceGroupName: apimResourceGroupName
    subscriptionName: apimSubscriptionName
  }
  dependsOn: [
    apim
    keyVault
  ]
}

var jobs jobSettings = {
  timeout: jobTimeout
  timeToLive: jobTimeToLive
  pollInterval: jobPollInterval
  maxConcurrency: jobMaxConcurrency
  leaseDuration: jobLeaseDuration
  maxDeliveries: jobMaxDeliveries
  visibilityTimeout: jobVisibilityTimeout
}

var cache cacheSettings = {
  paths: cachePaths
  ttl: cacheTtl
  staleIfError: cacheStaleIfError
  varyByCaller: cacheVaryByCaller
  maxEntryBytes: cacheMaxEntryBytes
}

var resilience resilienceSettings = {
  totalTimeout: resilienceTotalTimeout
  attemptTimeout: resilienceAttemptTimeout
  maxRetries: resilienceMaxRetries
  baseDelay: resilienceBaseDelay
  maxDelay: resilienceMaxDelay
  circuitBreakerFailureRatio: resilienceCircuitBreakerFailureRatio
  circuitBreakerMinimumThroughput: resilienceCircuitBreakerMinimumThroughput
  circuitBreakerSamplingDuration: resilienceCircuitBreakerSamplingDuration
  circuitBreakerBreakDuration: resilienceCircuitBreakerBreakDuration
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    planName: names.plan
    functionAppName: names.functionApp
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    jobsContainerName: storage.outputs.jobsContainerName
    jobsQueueName: storage.outputs.jobsQueueName
    jobsTableName: storage.outputs.jobsTableName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    runtimeVersion: runtimeVersion
    errorMode: errorMode
    maxRequestBodyBytes: maxRequestBodyBytes
    publicBaseUrl: publicBaseUrl
    jobs: jobs
    upstreamName: upstreamName
    upstreamBaseUrl: empty(upstreamBaseUrl) && deployApim ? apim!.outputs.apiUrl : upstreamBaseUrl
    allowedPaths: allowedPaths
    forwardedHeaders: forwardedHeaders
    healthPath: healthPath
    credential: credential
    authorityHost: authorityHost
    upstreamTenantId: upstreamTenantId
    upstreamClientId: upstreamClientId
    upstreamScope: upstreamScope
    federatedTokenAudience: federatedTokenAudience
    maxResponseBodyBytes: maxResponseBodyBytes
    resilience: resilience
    cache: cache
    upstreamClientSecretUri: keyVault.outputs.upstreamClientSecretUri
    upstreamCertificateSecretUri: '${keyVault.outputs.vaultUri}secrets/${upstreamCertificateName}'
    apimSubscriptionKeyUri: keyVault.outputs.apimSubscriptionKeyUri
    useApimSubscriptionKey: useApimSubscriptionKey
  }
  // The identity's roles and the secrets must exist before the app starts: the host needs storage, Key Vault
  // references need Key Vault Secrets User and the secret.
  dependsOn: [
    roles
    apimKey
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs (no secrets)
// ---------------------------------------------------------------------------------------------------------------

@description('Name of the function app (func azure functionapp publish <name>).')
output functionAppName string = functionApp.outputs.name

@description('Base URL of the function app; the API is under /api.')
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'

@description('Principal (object) id of the app\'s user-assigned identity: the subject of the federated credential.')
output functionAppPrincipalId string = identity.outputs.principalId

@description('Client id of the app\'s user-assigned identity.')
output functionAppClientId string = identity.outputs.clientId

@description('Name of the storage account.')
output storageAccountName string = storage.outputs.name

@description('Name of the Key Vault.')
output keyVaultName string = keyVault.outputs.name

@description('Name of the Application Insights component.')
output applicationInsightsName string = monitoring.outputs.applicationInsightsName

@description('URL of the API in APIM (empty when deployApim is false).')
output apimApiUrl string = deployApim ? apim!.outputs.apiUrl : ''
