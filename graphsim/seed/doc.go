// Package seed generates deterministic, realistic Microsoft Entra ID tenants
// for the Graph simulator: users with multicultural names, managers, mail
// and guests, and groups of every kind the sync engine must handle or skip.
//
// Generate is a pure function of its Spec: the same Spec yields identical
// output on every run and platform (math/rand/v2 PCG streams, no map
// iteration, no wall clock), so tests, benchmarks and demos can name a
// tenant by its Spec. It is built for 300,000-user tenants: strings are cut
// from one buffer per object and slices from shared backing arrays.
package seed
