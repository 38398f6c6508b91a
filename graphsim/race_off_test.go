//go:build !race

package graphsim

const raceEnabled = false
