package seed

import "strings"

// prepared holds what the per-user loop needs from the tables, computed once:
// ASCII aliases, their capitalised forms for mail, and small integer keys so
// uniqueness of mail nicknames is tracked without building strings.
type preparedCulture struct {
	*culture
	givenAlias, surAlias []string
	givenCap, surCap     []string
	givenKey, surKey     []uint32
	cityCodes            []string
}

var (
	prepared     []preparedCulture
	numSurKeys   int // distinct surname aliases: the stride of nick counters
	numGivenKeys int
	cultureCum   []int // cumulative weights
	totalWeight  int
)

func init() {
	givenIDs, surIDs := map[string]uint32{}, map[string]uint32{}
	key := func(ids map[string]uint32, alias string) uint32 {
		id, ok := ids[alias]
		if !ok {
			id = uint32(len(ids))
			ids[alias] = id
		}
		return id
	}
	defer func() { numGivenKeys = len(givenIDs) }()
	for i := range cultures {
		c := &cultures[i]
		p := preparedCulture{culture: c, givenAlias: aliasWords(c.given), surAlias: aliasWords(c.surnames)}
		p.givenCap, p.surCap = capitalize(p.givenAlias), capitalize(p.surAlias)
		for _, ct := range c.cities {
			p.cityCodes = append(p.cityCodes, cityCode(ct.name))
		}
		for _, a := range p.givenAlias {
			p.givenKey = append(p.givenKey, key(givenIDs, a))
		}
		for _, a := range p.surAlias {
			p.surKey = append(p.surKey, key(surIDs, a))
		}
		prepared = append(prepared, p)
		numSurKeys = len(surIDs)
		totalWeight += c.weight
		cultureCum = append(cultureCum, totalWeight)
	}
}

// capitalize upper-cases the first letter and each letter after a hyphen:
// garcia-lopez → Garcia-Lopez, as mail addresses are often written.
func capitalize(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		b := []byte(w)
		for j := range b {
			if (j == 0 || b[j-1] == '-') && b[j] >= 'a' && b[j] <= 'z' {
				b[j] -= 'a' - 'A'
			}
		}
		out[i] = string(b)
	}
	return out
}

// cityCode is a short building prefix for officeLocation ("SEA", "MÜN").
func cityCode(name string) string {
	a := strings.ToUpper(asciiAlias(name))
	if len(a) > 3 {
		a = a[:3]
	}
	return a
}
