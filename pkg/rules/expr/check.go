package expr

import "errors"

func check(src string, root node, opts Options) (*Program, error) {
	return nil, errors.New("expr: not implemented yet")
}
