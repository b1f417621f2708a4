// Parameters mirroring local.settings.sample.json: one upstream "orders" behind an existing APIM API.
// Replace every <placeholder>. Secrets are NOT in this file: pass them at deployment time, e.g.
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam \
//     -p upstreamClientSecret="$UPSTREAM_CLIENT_SECRET" -p apimSubscriptionKey="$APIM_SUBSCRIPTION_KEY"
// (see infra/README.md, "Secrets"). Other environments: infra/environments/*.bicepparam.
using './main.bicep'

param baseName = 'intermediary'
param tags = {
  app: 'intermediary'
}

// upstreamName: not set here; it is the name the connector sends (see main.bicep).
param upstreamBaseUrl = 'https://<your-apim-name>.azure-api.net/orders/'
param allowedPaths = [
  '/orders'
]
param forwardedHeaders = [
  'Accept'
  'Content-Type'
  'Idempotency-Key'
]
param credential = 'ClientSecret'
param upstreamTenantId = '<tenant-id-guid>'
param upstreamClientId = '<client-id-guid>'
param upstreamScope = 'api://<backend-app-id>/.default'
param useApimSubscriptionKey = true

param deployApim = false
