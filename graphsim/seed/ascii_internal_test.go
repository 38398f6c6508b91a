package seed

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Every non-ASCII letter in the tables must fold, or aliases would silently
// lose letters.
func TestFoldTableCoversTables(t *testing.T) {
	t.Parallel()
	check := func(words ...string) {
		for _, w := range words {
			for _, r := range w {
				if r >= utf8.RuneSelf {
					_, ok := foldTable[r]
					require.True(t, ok, "rune %q in %q has no ASCII fold", r, w)
				}
			}
			require.NotEmpty(t, asciiAlias(w), w)
		}
	}
	for _, c := range cultures {
		check(c.given...)
		check(c.surnames...)
		for _, ct := range c.cities {
			check(ct.name)
		}
	}
	check(projectNames...)
}

func TestASCIIAlias(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"José": "jose", "Zoë": "zoe", "Søren": "soren", "Łukasz": "lukasz", "Müller": "muller",
		"Nguyễn": "nguyen", "Weiß": "weiss", "Ærenfried": "aerenfried", "O'Brien": "obrien",
		"García-López": "garcia-lopez", "Ó Súilleabháin": "osuilleabhain", "Yılmaz": "yilmaz",
		"İzmir": "izmir", "Đặng": "dang", "Sōta": "sota", "ABC123": "abc123",
	}
	for in, want := range tests {
		require.Equal(t, want, asciiAlias(in), in)
	}
}
