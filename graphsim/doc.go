// Package graphsim runs simulated Microsoft Entra tenants behind a Microsoft
// Graph v1.0-compatible HTTPS API, so that the real msgraph-sdk-go client and
// azidentity can be tested, demonstrated and benchmarked without a cloud
// tenant. It serves OAuth 2.0 client credentials and OpenID metadata for
// MSAL, users, groups, memberships, delta queries, invitations, deleted
// items, $batch and cross-tenant access policies, with Graph-like
// throttling, latency and fault injection.
//
// Start it in process with Start; the standalone command lives in
// cmd/graphsim.
package graphsim
