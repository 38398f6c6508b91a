//go:build race

package graphsim

// raceEnabled shrinks scale tests under the race detector, which slows
// them several times over.
const raceEnabled = true
