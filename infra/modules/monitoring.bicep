// Log Analytics workspace + workspace-based Application Insights.
// The Functions host sends telemetry with the connection string plus Entra authentication
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, the user-assigned identity holds "Monitoring Metrics Publisher";
// see roles.bicep).

@description('Azure region of the resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Days the workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('''Reject telemetry that authenticates only with the instrumentation key (Entra-authenticated ingestion
only). The Functions host honours APPLICATIONINSIGHTS_AUTHENTICATION_STRING; the worker's own Application Insights
SDK (Microsoft.ApplicationInsights.WorkerService 2.x) authenticates with Entra only when Program.cs calls
TelemetryConfiguration.SetAzureTokenCredential, which it does not today: with true, the worker's logs and
dependency telemetry would be rejected. See infra/README.md.''')
param disableLocalAuth bool

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      // Workspace shared keys are not needed: Application Insights ingests through its own endpoint.
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: disableLocalAuth
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = workspace.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = appInsights.name

@description('Resource id of the Application Insights component (scope of the Monitoring Metrics Publisher role).')
output applicationInsightsId string = appInsights.id

// The connection string identifies the component and its ingestion endpoint; it is not a credential for
// Entra-authenticated ingestion, and it is how the Functions host is told where to send telemetry.
@description('Application Insights connection string.')
output connectionString string = appInsights.properties.ConnectionString
