// The upstream API in an existing API Management instance (creating APIM takes 30-45 minutes and is usually a
// shared, separately managed resource): named values, the API with its operations and policy (validate-jwt,
// retry on 5xx, JSON errors), a product with rate limit + quota, and a subscription for Intermediary.
// Deployed into the APIM instance's resource group (main.bicep sets the module scope).

@description('Name of the existing API Management instance.')
param apimName string

@description('Name (id) of the API.')
param apiName string

@description('Display name of the API.')
param apiDisplayName string

@description('URL suffix of the API: https://<apim>.azure-api.net/<apiPath>/.')
param apiPath string

@description('Backend (web service) URL APIM forwards to.')
param backendUrl string

@description('Name (id) of the product.')
param productName string

@description('Display name of the product.')
param productDisplayName string

@description('Name (id) of the subscription created for Intermediary.')
param subscriptionName string

@description('Entra tenant id: named value "tenant-id" used by validate-jwt.')
param tenantId string

@description('''Audience the backend's access tokens carry: named value "intermediary-audience". The App ID URI
(api://<backend-app-id>) for v1 tokens (the default for client credentials), the backend app's client id when its
manifest sets requestedAccessTokenVersion 2.''')
param audience string

@description('App role the caller\'s token must carry in its roles claim: named value "intermediary-app-role".')
param requiredAppRole string

@description('Calls per subscription per rate-limit period (named value "rate-limit-calls").')
@minValue(1)
param rateLimitCalls int

@description('Rate-limit period in seconds (named value "rate-limit-renewal-period").')
@minValue(1)
@maxValue(300)
param rateLimitRenewalPeriod int

@description('Calls per subscription per quota period (named value "quota-calls").')
@minValue(1)
param quotaCalls int

@description('Quota period in seconds (named value "quota-renewal-period").')
@minValue(3600)
param quotaRenewalPeriod int

@description('Optional secret the backend expects in a header (secret named value "backend-secret"). Empty: none.')
@secure()
param backendSecret string

@description('Header that carries backendSecret to the backend.')
param backendHeaderName string

resource apim 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: apimName
}

// Named values referenced by the policies as {{name}}.
var plainNamedValues = {
  'tenant-id': tenantId
  'intermediary-audience': audience
  'intermediary-app-role': requiredAppRole
  'rate-limit-calls': string(rateLimitCalls)
  'rate-limit-renewal-period': string(rateLimitRenewalPeriod)
  'quota-calls': string(quotaCalls)
  'quota-renewal-period': string(quotaRenewalPeriod)
}

resource namedValues 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = [
  for item in items(plainNamedValues): {
    parent: apim
    name: item.key
    properties: {
      displayName: item.key
      value: item.value
      secret: false
    }
  }
]

resource backendSecretNamedValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = if (!empty(backendSecret)) {
  parent: apim
  name: 'backend-secret'
  properties: {
    displayName: 'backend-secret'
    value: backendSecret
    secret: true
  }
}

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: apim
  name: apiName
  properties: {
    displayName: apiDisplayName
    path: apiPath
    serviceUrl: backendUrl
    protocols: [
      'https'
    ]
    subscriptionRequired: true
    subscriptionKeyParameterNames: {
      header: 'Ocp-Apim-Subscription-Key'
      query: 'subscription-key'
    }
    apiType: 'http'
    type: 'http'
  }
}

// The demo-style API: list, get one, create.
var operations = [
  {
    name: 'list-items'
    displayName: 'List items'
    method: 'GET'
    urlTemplate: '/items'
    templateParameters: []
  }
  {
    name: 'get-item'
    displayName: 'Get an item'
    method: 'GET'
    urlTemplate: '/items/{id}'
    templateParameters: [
      {
        name: 'id'
        type: 'string'
        required: true
        description: 'Item id.'
      }
    ]
  }
  {
    name: 'create-item'
    displayName: 'Create an item'
    method: 'POST'
    urlTemplate: '/items'
    templateParameters: []
  }
]

resource apiOperations 'Microsoft.ApiManagement/service/apis/operations@2024-05-01' = [
  for op in operations: {
    parent: api
    name: op.name
    properties: {
      displayName: op.displayName
      method: op.method
      urlTemplate: op.urlTemplate
      templateParameters: op.templateParameters
    }
  }
]

// api.xml holds a marker comment where the backend secret header goes; it is filled in only when the secret
// named value exists (a policy that references a missing named value is rejected).
var backendSecretMarker = '<!-- backend-secret-header -->'
var apiPolicyXml = loadTextContent('../apim/policies/api.xml')
var apiPolicy = empty(backendSecret)
  ? apiPolicyXml
  : replace(
      apiPolicyXml,
      backendSecretMarker,
      '<set-header name="${backendHeaderName}" exists-action="override"><value>{{backend-secret}}</value></set-header>'
    )

resource apiPolicyResource 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: apiPolicy
  }
  dependsOn: [
    namedValues
    backendSecretNamedValue
  ]
}

resource product 'Microsoft.ApiManagement/service/products@2024-05-01' = {
  parent: apim
  name: productName
  properties: {
    displayName: productDisplayName
    description: 'Access for Intermediary (Power Platform custom connectors). Rate limit and quota per subscription.'
    subscriptionRequired: true
    approvalRequired: true
    subscriptionsLimit: 10
    state: 'published'
  }
}

resource productApi 'Microsoft.ApiManagement/service/products/apis@2024-05-01' = {
  parent: product
  name: api.name
}

resource productPolicy 'Microsoft.ApiManagement/service/products/policies@2024-05-01' = {
  parent: product
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: loadTextContent('../apim/policies/product.xml')
  }
  dependsOn: [
    namedValues
  ]
}

// Intermediary's subscription; its key is read with listSecrets (see infra/README.md) and stored in Key Vault.
resource subscription 'Microsoft.ApiManagement/service/subscriptions@2024-05-01' = {
  parent: apim
  name: subscriptionName
  properties: {
    displayName: 'Intermediary'
    scope: product.id
    state: 'active'
    allowTracing: false
  }
  dependsOn: [
    productApi
  ]
}

@description('Gateway URL of the APIM instance.')
output gatewayUrl string = apim.properties.gatewayUrl

@description('URL of the API (Intermediary\'s upstream BaseUrl).')
output apiUrl string = '${apim.properties.gatewayUrl}/${api.properties.path}/'

@description('Resource id of the product.')
output productId string = product.id

@description('Name of Intermediary\'s subscription (not its key).')
output subscriptionName string = subscription.name
