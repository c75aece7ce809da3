package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/autoreplay/autoreplay/hpa"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Error is one problem in a manifest, located by line, column and field path.
//
// Its message reads
//
//	file:line:col: path: what is wrong, what was expected
//
// where the line and column are omitted when unknown (0), and the path is
// omitted when the problem is not about one field (for example malformed
// YAML).
type Error struct {
	// File is the name given to ParseHPAs; it only labels the message.
	File string
	// Line is the 1-based line of the offending node, 0 if unknown.
	Line int
	// Column is the 1-based column of the offending node, 0 if unknown.
	Column int
	// Path is the field path inside the object, in the API server's notation:
	// "spec.behavior.scaleUp.policies[1].periodSeconds",
	// "metadata.labels[app]". It is empty for problems with the document as a
	// whole.
	Path string
	// Err says what is wrong. Validation problems are *field.Error values
	// (k8s.io/apimachinery/pkg/util/validation/field), as the API server
	// reports them; the message then shows their body only, as Path already
	// names the field.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(errorBody(e.Err))
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// errorBody is the message of err without a field path it would repeat.
func errorBody(err error) string {
	var fe *field.Error
	if errors.As(err, &fe) && err == error(fe) {
		return fe.ErrorBody()
	}
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// engineError reports a converted spec that hpa.Spec.Validate rejects. It
// should never happen for a manifest that passed validation; it wraps the
// engine's *hpa.FieldError.
type engineError struct{ fe *hpa.FieldError }

func (e *engineError) Error() string {
	return fmt.Sprintf("Invalid value: %v: %s (rejected by hpa.Spec.Validate)", e.fe.Value, e.fe.Detail)
}

func (e *engineError) Unwrap() error { return e.fe }

// joinErrors returns nil, the only error, or all of them joined.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
var yamlAnchorRE = regexp.MustCompile(`^yaml: (?:unknown anchor '([^']*)' referenced|anchor '([^']*)' value contains itself)$`)

// syntaxError turns an error of the YAML parser into an *Error with the line
// the parser reports. That line is approximate: it is where the parser gave
// up, which may follow the mistake. Some parser problems come with a 0-based
// line, corrected here; problems on the first line come without one; anchor
// and reader (encoding) problems come without one too, and their line is
// found in data instead.
func syntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	e := &Error{File: file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// The parser's (not the scanner's) "did not find expected ..."
		// problems come with a 0-based line.
		if strings.HasPrefix(msg, "did not find expected ") && msg != "did not find expected node content" {
			e.Line++
		}
	} else if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		name := m[1] + m[2]
		msg = strings.TrimPrefix(msg, "yaml: ")
		e.Line = 1
		if i := strings.Index(string(data), "*"+name); i >= 0 && name != "" {
			e.Line = 1 + strings.Count(string(data[:i]), "\n")
		}
	} else {
		// Reader problems (bad encoding, control characters) carry no line:
		// find the first byte the reader refuses. Other problems without a
		// line are on the first line.
		msg = strings.TrimPrefix(msg, "yaml: ")
		e.Line = 1 + strings.Count(string(data[:firstUnreadable(data)]), "\n")
	}
	e.Err = fmt.Errorf("malformed YAML: %s", msg)
	return e
}

// firstUnreadable returns the offset of the first rune the YAML reader
// rejects (invalid UTF-8 or a character outside YAML's printable set), or 0.
func firstUnreadable(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		printable := r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) ||
			r == 0x85 || (r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF) ||
			(r >= 0x10000 && r <= 0x10FFFF)
		if !printable && !(r == 0xFEFF && i == 0) {
			return i
		}
		i += n
	}
	return 0
}
