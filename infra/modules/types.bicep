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
@description('Intermediary:Upstreams:{name}:Cache:* (docs/operations.md "Response cache"); no paths: nothing is cached.')
type cacheSettings = {
  @description('Paths — path prefixes whose GET/HEAD calls go through the per-instance response cache.')
  paths: string[]
  @description('Ttl — how long a successful answer is served without asking again (at most 01:00:00).')
  ttl: string
  @description('StaleIfError — how long past Ttl a kept answer may stand in when the upstream fails.')
  staleIfError: string
  @description('VaryByCaller — keep each caller key\'s answers apart.')
  varyByCaller: bool
  @description('MaxEntryBytes — larger answers are not kept.')
  maxEntryBytes: int
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
type credentialType = 'ClientSecret' | 'Certificate' | 'FederatedManagedIdentity' | 'ClientAssertion' | 'ManagedIdentity' | 'None' | 'OnBehalfOf'
