package serve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// selector is the only query /api/v1/query answers: a metric name with
// an optional region matcher, NAME or NAME{region="R"}.
type selector struct {
	name      string
	region    string
	hasRegion bool
}

// parseSelector reads NAME, NAME{} or NAME{region="R"} (the value in
// double quotes with Go/PromQL escapes, in single quotes, or in
// backquotes; spaces allowed between the tokens; a trailing comma
// allowed). Anything else is an error saying what is not supported.
func parseSelector(expr string) (selector, error) {
	var sel selector
	p := strings.TrimSpace(expr)
	i := 0
	for i < len(p) && isNameChar(p[i], i == 0) {
		i++
	}
	sel.name, p = p[:i], strings.TrimSpace(p[i:])
	if sel.name == "" {
		return sel, errors.New("not a series name")
	}
	if p == "" {
		return sel, nil
	}
	if p[0] != '{' {
		return sel, fmt.Errorf("unexpected %q after the series name", p)
	}
	p = strings.TrimSpace(p[1:])
	for {
		if strings.HasPrefix(p, "}") {
			if rest := strings.TrimSpace(p[1:]); rest != "" {
				return sel, fmt.Errorf("unexpected %q after the selector", rest)
			}
			return sel, nil
		}
		i := 0
		for i < len(p) && isNameChar(p[i], i == 0) && p[i] != ':' {
			i++
		}
		label := p[:i]
		p = strings.TrimSpace(p[i:])
		switch {
		case label == "":
			return sel, fmt.Errorf("want a label name or '}' at %q", p)
		case label != "region":
			return sel, fmt.Errorf("matcher on the label %q: only region is matched", label)
		case sel.hasRegion:
			return sel, errors.New("two region matchers")
		case strings.HasPrefix(p, "=~"), strings.HasPrefix(p, "!="), strings.HasPrefix(p, "!~"):
			return sel, fmt.Errorf("matcher %s%s: only = is supported", label, p[:2])
		case !strings.HasPrefix(p, "="):
			return sel, fmt.Errorf("want = after %s", label)
		}
		p = strings.TrimSpace(p[1:])
		v, n, err := unquote(p)
		if err != nil {
			return sel, fmt.Errorf("region value: %w", err)
		}
		sel.region, sel.hasRegion = v, true
		p = strings.TrimSpace(p[n:])
		if strings.HasPrefix(p, ",") {
			p = strings.TrimSpace(p[1:])
		} else if !strings.HasPrefix(p, "}") {
			return sel, errors.New("want ',' or '}' after the matcher")
		}
	}
}

// isNameChar reports a character of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
func isNameChar(c byte, first bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || !first && c >= '0' && c <= '9'
}

// unquote reads the quoted string at the start of p and returns it and
// the length it took.
func unquote(p string) (string, int, error) {
	if p == "" {
		return "", 0, errors.New("want a quoted string")
	}
	q := p[0]
	switch q {
	case '`':
		end := strings.IndexByte(p[1:], '`')
		if end < 0 {
			return "", 0, errors.New("unterminated string")
		}
		return p[1 : 1+end], end + 2, nil
	case '"', '\'':
		for i := 1; i < len(p); i++ {
			switch p[i] {
			case '\\':
				i++
			case q:
				body := p[1:i]
				if q == '\'' {
					// A single-quoted string as a double-quoted one.
					body = strings.ReplaceAll(strings.ReplaceAll(body, `\'`, `'`), `"`, `\"`)
				}
				v, err := strconv.Unquote(`"` + body + `"`)
				if err != nil {
					return "", 0, fmt.Errorf("bad escape in %s", p[:i+1])
				}
				return v, i + 1, nil
			}
		}
		return "", 0, errors.New("unterminated string")
	}
	return "", 0, errors.New("want a quoted string")
}
