// Package graph is xtsync's only door to Microsoft Graph. It is the one
// package in the product that imports msgraph-sdk-go and azidentity, so that
// the multi-gigabyte SDK build is paid once and every other package (reader,
// writer, transformer and their tests) sees plain Go types: User, Group,
// DeltaPage, BatchResult and *Error.
//
// A Client authenticates with the OAuth 2.0 client-credentials flow through
// azidentity and sends every request through the SDK's request adapter and
// middleware pipeline, so the SDK's own retry handler (429/503/504 with
// Retry-After) and redirect handling stay in force; the hot paths (delta
// pages, $batch) take the body as bytes and decode it with encoding/json.
// The tests in this package drive the same code against graphsim, the
// in-repo tenant simulator.
package graph
