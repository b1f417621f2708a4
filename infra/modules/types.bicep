// Shared user-defined types (imported by main.bicep and functionapp.bicep). Values are the app's configuration
// strings: TimeSpans as [d.]hh:mm:ss, numbers as the app parses them.

@export()
@description('Intermediary:Jobs:* (README "Jobs").')
type jobSettings = {
  @description('Intermediary:Jobs:Timeout — budget for one job.')
  timeout: string
  @description('Intermediary:Jobs:TimeToLive — jobs and results are kept this long.')
  timeToLive: string
  @description('Intermediary:Jobs:PollInterval — Retry-After given to pollers.')
  pollInterval: string
  @description('Intermediary:Jobs:MaxConcurrency (1-64).')
  maxConcurrency: int
  @description('Intermediary:Jobs:LeaseDuration — a running job\'s renewable claim.')
  leaseDuration: string
  @description('Intermediary:Jobs:MaxDeliveries (1-20); host.json queues.maxDequeueCount must stay one more.')
  maxDeliveries: int
  @description('Intermediary:Jobs:Storage:VisibilityTimeout.')
  visibilityTimeout: string
}

@export()
@description('Intermediary:Upstreams:{name}:Resilience:* (README "Retries and the budget").')
type resilienceSettings = {
  @description('TotalTimeout — the whole call, all attempts and waits.')
  totalTimeout: string
  @description('AttemptTimeout — one attempt including its body.')
  attemptTimeout: string
  @description('MaxRetries (0-10).')
  maxRetries: int
  @description('BaseDelay — first backoff.')
  baseDelay: string
  @description('MaxDelay — backoff cap.')
  maxDelay: string
  @description('CircuitBreakerFailureRatio in (0, 1], as a string (e.g. "0.5").')
  circuitBreakerFailureRatio: string
  @description('CircuitBreakerMinimumThroughput (>= 2).')
  circuitBreakerMinimumThroughput: int
  @description('CircuitBreakerSamplingDuration.')
  circuitBreakerSamplingDuration: string
  @description('CircuitBreakerBreakDuration.')
  circuitBreakerBreakDuration: string
}

@export()
@description('Credential types of Intermediary:Upstreams:{name}:Credential (README "Tokens").')
type credentialType = 'ClientSecret' | 'Certificate' | 'FederatedManagedIdentity' | 'ClientAssertion' | 'ManagedIdentity' | 'None'
