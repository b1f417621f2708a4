// Flex Consumption plan + the Intermediary function app (.NET isolated worker, Functions runtime v4) running as the
// user-assigned identity, with every app setting the app reads (local.settings.sample.json).

import { cacheSettings, jobSettings, resilienceSettings, credentialType } from 'types.bicep'

@description('Azure region of the plan and the app (must offer Flex Consumption).')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app (also its default host name prefix).')
param functionAppName string

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Name of the storage account (AzureWebJobsStorage, deployment package, job store).')
param storageAccountName string

@description('Blob endpoint of the storage account (ends with "/").')
param blobEndpoint string

@description('Queue endpoint of the storage account.')
param queueEndpoint string

@description('Table endpoint of the storage account.')
param tableEndpoint string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Jobs blob container (Intermediary:Jobs:Storage:ContainerName).')
param jobsContainerName string

@description('Jobs queue (Intermediary:Jobs:Storage:QueueName; also the RunJob trigger\'s queue).')
param jobsQueueName string

@description('Jobs table (Intermediary:Jobs:Storage:TableName).')
param jobsTableName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Flex Consumption: most instances the app scales out to (the platform enforces its own minimum).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Flex Consumption: memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('dotnet-isolated runtime version on Flex Consumption.')
param runtimeVersion string

@description('Intermediary:ErrorMode.')
@allowed([
  'Body'
  'Status'
])
param errorMode string

@description('Intermediary:PublicBaseUrl (empty: from each request).')
param publicBaseUrl string

@description('Intermediary:MaxRequestBodyBytes.')
param maxRequestBodyBytes int

@description('Intermediary:Jobs:* tuning.')
param jobs jobSettings

@description('Upstream name: the {upstream} route segment and the configuration section Intermediary:Upstreams:{name}.')
param upstreamName string

@description('Intermediary:Upstreams:{name}:BaseUrl (the APIM API URL).')
param upstreamBaseUrl string

@description('Intermediary:Upstreams:{name}:AllowedPaths (at least one).')
@minLength(1)
param allowedPaths string[]

@description('Intermediary:Upstreams:{name}:ForwardedHeaders (empty: the app\'s default list).')
param forwardedHeaders string[]

@description('Intermediary:Upstreams:{name}:HealthPath.')
param healthPath string

@description('Intermediary:Upstreams:{name}:Credential.')
param credential credentialType

@description('Intermediary:Upstreams:{name}:AuthorityHost.')
param authorityHost string

@description('Intermediary:Upstreams:{name}:TenantId.')
param upstreamTenantId string

@description('Intermediary:Upstreams:{name}:ClientId (the Intermediary app registration).')
param upstreamClientId string

@description('Intermediary:Upstreams:{name}:Scope.')
param upstreamScope string

@description('Intermediary:Upstreams:{name}:FederatedTokenAudience.')
param federatedTokenAudience string

@description('Intermediary:Upstreams:{name}:MaxResponseBodyBytes.')
param maxResponseBodyBytes int

@description('Intermediary:Upstreams:{name}:Resilience:* tuning.')
param resilience resilienceSettings

@description('Intermediary:Upstreams:{name}:Cache:* — the response cache for safe reads.')
param cache cacheSettings

@description('Versionless Key Vault URI of the upstream client secret (used when credential is ClientSecret).')
param upstreamClientSecretUri string

@description('Versionless Key Vault URI of the certificate\'s secret (used when credential is Certificate).')
param upstreamCertificateSecretUri string

@description('Versionless Key Vault URI of the APIM subscription key.')
param apimSubscriptionKeyUri string

@description('Send Ocp-Apim-Subscription-Key (read from Key Vault).')
param useApimSubscriptionKey bool

var keyVaultReference = {
  clientSecret: '@Microsoft.KeyVault(SecretUri=${upstreamClientSecretUri})'
  certificate: '@Microsoft.KeyVault(SecretUri=${upstreamCertificateSecretUri})'
  subscriptionKey: '@Microsoft.KeyVault(SecretUri=${apimSubscriptionKeyUri})'
}

// The app's managed-identity credentials (FederatedManagedIdentity, ManagedIdentity) use the user-assigned identity.
var usesManagedIdentity = credential == 'FederatedManagedIdentity' || credential == 'ManagedIdentity'

// Host settings. Flex Consumption takes the worker runtime and its version from functionAppConfig.runtime, so
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION (and WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*) must
// not be set here. AzureWebJobsStorage is identity-based: no connection string, no shared key.
var hostSettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
  // Entra-authenticated ingestion for the Functions host (role: Monitoring Metrics Publisher).
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
  // Works around a known start-up crash of .NET 10 isolated workers on Flex Consumption (Linux): the host starts
  // the worker itself instead of specialising a placeholder.
  { name: 'WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED', value: '0' }
  // No HTML welcome page at the root: every answer a caller sees is an envelope or the host's own empty status.
  { name: 'AzureWebJobsDisableHomepage', value: 'true' }
]

// Intermediary:* — every key of local.settings.sample.json except Intermediary__FunctionKeys__default: function
// keys are a Server-host-only setting; on Functions the host checks its own function keys
// (AuthorizationLevel.Function), see docs/operations.md, "Azure Functions host". Also not the development-only certificate
// trust, which the service refuses outside the Development environment.
var intermediarySettings = [
  { name: 'Intermediary__ErrorMode', value: errorMode }
  { name: 'Intermediary__PublicBaseUrl', value: publicBaseUrl }
  { name: 'Intermediary__MaxRequestBodyBytes', value: string(maxRequestBodyBytes) }
  // Defaults, stated so an operator sees them in the portal: upstream bodies held at once (256 MiB), and the URL and
  // header limits that still get an envelope (the Functions front end has its own limits above them).
  { name: 'Intermediary__MaxBufferedResponseBytes', value: '268435456' }
  { name: 'Intermediary__MaxRequestTargetLength', value: '8000' }
  { name: 'Intermediary__MaxRequestHeadersBytes', value: '32768' }
  // The response cache's memory per instance (64 MiB); it holds nothing unless the upstream names cached paths.
  { name: 'Intermediary__ResponseCacheBytes', value: '67108864' }
  // Users' tokens, read only when the upstream's credential is OnBehalfOf: issued by the upstream's tenant for the
  // Intermediary app registration (v2.0 tokens carry its client id as the audience), with the access_as_user scope.
  { name: 'Intermediary__UserTokens__Authority', value: '${environment().authentication.loginEndpoint}${upstreamTenantId}/v2.0' }
  { name: 'Intermediary__UserTokens__TenantId', value: upstreamTenantId }
  { name: 'Intermediary__UserTokens__Audiences__0', value: upstreamClientId }
  { name: 'Intermediary__UserTokens__RequiredScope', value: 'access_as_user' }
  { name: 'Intermediary__UserTokens__ClockSkew', value: '00:02:00' }
  { name: 'Intermediary__UserTokens__CacheBytes', value: '33554432' }

  // Jobs: Azure Storage through the managed identity (service URIs + client id, no connection string).
  { name: 'Intermediary__Jobs__Store', value: 'AzureStorage' }
  { name: 'Intermediary__Jobs__Timeout', value: jobs.timeout }
  { name: 'Intermediary__Jobs__TimeToLive', value: jobs.timeToLive }
  { name: 'Intermediary__Jobs__PollInterval', value: jobs.pollInterval }
  { name: 'Intermediary__Jobs__MaxConcurrency', value: string(jobs.maxConcurrency) }
  { name: 'Intermediary__Jobs__LeaseDuration', value: jobs.leaseDuration }
  { name: 'Intermediary__Jobs__MaxDeliveries', value: string(jobs.maxDeliveries) }
  // Bounds of the in-memory store; unused here (Store is AzureStorage), kept so a switch to Memory stays bounded.
  { name: 'Intermediary__Jobs__Memory__MaxJobs', value: '10000' }
  { name: 'Intermediary__Jobs__Memory__MaxBytes', value: '268435456' }
  { name: 'Intermediary__Jobs__Storage__ConnectionString', value: '' }
  { name: 'Intermediary__Jobs__Storage__TableServiceUri', value: tableEndpoint }
  { name: 'Intermediary__Jobs__Storage__QueueServiceUri', value: queueEndpoint }
  { name: 'Intermediary__Jobs__Storage__BlobServiceUri', value: blobEndpoint }
  { name: 'Intermediary__Jobs__Storage__ManagedIdentityClientId', value: identityClientId }
  { name: 'Intermediary__Jobs__Storage__TableName', value: jobsTableName }
  { name: 'Intermediary__Jobs__Storage__QueueName', value: jobsQueueName }
  { name: 'Intermediary__Jobs__Storage__ContainerName', value: jobsContainerName }
  { name: 'Intermediary__Jobs__Storage__VisibilityTimeout', value: jobs.visibilityTimeout }

  // The upstream (one APIM API).
  { name: 'Intermediary__Upstreams__${upstreamName}__BaseUrl', value: upstreamBaseUrl }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__SubscriptionKey'
    value: useApimSubscriptionKey ? keyVaultReference.subscriptionKey : ''
  }
  { name: 'Intermediary__Upstreams__${upstreamName}__HealthPath', value: healthPath }
  { name: 'Intermediary__Upstreams__${upstreamName}__Credential', value: credential }
  { name: 'Intermediary__Upstreams__${upstreamName}__AuthorityHost', value: authorityHost }
  { name: 'Intermediary__Upstreams__${upstreamName}__TenantId', value: upstreamTenantId }
  { name: 'Intermediary__Upstreams__${upstreamName}__ClientId', value: upstreamClientId }
  { name: 'Intermediary__Upstreams__${upstreamName}__Scope', value: upstreamScope }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__ClientSecret'
    // OnBehalfOf exchanges users' tokens with the same app registration's secret.
    value: credential == 'ClientSecret' || credential == 'OnBehalfOf' ? keyVaultReference.clientSecret : ''
  }
  // Certificate credential: import the PFX into the vault as a certificate; its secret is the base64 PFX
  // without a password, so CertificatePassword stays empty. There is no certificate file on Flex Consumption,
  // so CertificatePath stays empty too.
  { name: 'Intermediary__Upstreams__${upstreamName}__CertificatePath', value: '' }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__CertificateBase64'
    value: credential == 'Certificate' ? keyVaultReference.certificate : ''
  }
  { name: 'Intermediary__Upstreams__${upstreamName}__CertificatePassword', value: '' }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__ManagedIdentityClientId'
    value: usesManagedIdentity ? identityClientId : ''
  }
  { name: 'Intermediary__Upstreams__${upstreamName}__FederatedTokenAudience', value: federatedTokenAudience }
  { name: 'Intermediary__Upstreams__${upstreamName}__MaxResponseBodyBytes', value: string(maxResponseBodyBytes) }
  { name: 'Intermediary__Upstreams__${upstreamName}__Resilience__TotalTimeout', value: resilience.totalTimeout }
  { name: 'Intermediary__Upstreams__${upstreamName}__Resilience__AttemptTimeout', value: resilience.attemptTimeout }
  { name: 'Intermediary__Upstreams__${upstreamName}__Resilience__MaxRetries', value: string(resilience.maxRetries) }
  { name: 'Intermediary__Upstreams__${upstreamName}__Resilience__BaseDelay', value: resilience.baseDelay }
  { name: 'Intermediary__Upstreams__${upstreamName}__Resilience__MaxDelay', value: resilience.maxDelay }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__Resilience__CircuitBreakerFailureRatio'
    value: resilience.circuitBreakerFailureRatio
  }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__Resilience__CircuitBreakerMinimumThroughput'
    value: string(resilience.circuitBreakerMinimumThroughput)
  }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__Resilience__CircuitBreakerSamplingDuration'
    value: resilience.circuitBreakerSamplingDuration
  }
  {
    name: 'Intermediary__Upstreams__${upstreamName}__Resilience__CircuitBreakerBreakDuration'
    value: resilience.circuitBreakerBreakDuration
  }
  { name: 'Intermediary__Upstreams__${upstreamName}__Cache__Ttl', value: cache.ttl }
  { name: 'Intermediary__Upstreams__${upstreamName}__Cache__StaleIfError', value: cache.staleIfError }
  { name: 'Intermediary__Upstreams__${upstreamName}__Cache__VaryByCaller', value: string(cache.varyByCaller) }
  { name: 'Intermediary__Upstreams__${upstreamName}__Cache__MaxEntryBytes', value: string(cache.maxEntryBytes) }
]

// List-valued settings become indexed keys (…__0, …__1, …). The first entries are written out; longer lists
// continue with generated indexes.
var allowedPathSettings = concat(
  [
    { name: 'Intermediary__Upstreams__${upstreamName}__AllowedPaths__0', value: allowedPaths[0] }
  ],
  map(
    range(1, length(allowedPaths) - 1),
    i => { name: 'Intermediary__Upstreams__${upstreamName}__AllowedPaths__${i}', value: allowedPaths[i] }
  )
)

var forwardedHeaderSettings = concat(
  length(forwardedHeaders) > 0
    ? [{ name: 'Intermediary__Upstreams__${upstreamName}__ForwardedHeaders__0', value: forwardedHeaders[0] }]
    : [],
  length(forwardedHeaders) > 1
    ? [{ name: 'Intermediary__Upstreams__${upstreamName}__ForwardedHeaders__1', value: forwardedHeaders[1] }]
    : [],
  length(forwardedHeaders) > 2
    ? [{ name: 'Intermediary__Upstreams__${upstreamName}__ForwardedHeaders__2', value: forwardedHeaders[2] }]
    : [],
  map(
    range(3, max(length(forwardedHeaders) - 3, 0)),
    i => { name: 'Intermediary__Upstreams__${upstreamName}__ForwardedHeaders__${i}', value: forwardedHeaders[i] }
  )
)

var cachePathSettings = concat(
  length(cache.paths) > 0 ? [{ name: 'Intermediary__Upstreams__${upstreamName}__Cache__Paths__0', value: cache.paths[0] }] : [],
  map(
    range(1, max(length(cache.paths) - 1, 0)),
    i => { name: 'Intermediary__Upstreams__${upstreamName}__Cache__Paths__${i}', value: cache.paths[i] }
  )
)

var appSettings = concat(hostSettings, intermediarySettings, allowedPathSettings, forwardedHeaderSettings, cachePathSettings)

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  // azd deploy finds the app by this tag (azure.yaml, service "api").
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity (it holds Key Vault Secrets User).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

@description('Name of the function app.')
output name string = site.name

@description('Default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName

@description('Resource id of the function app.')
output id string = site.id
