package keda

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// castToFloatIfNecessary mirrors the webhook function of that name: the
// formula is wrapped in float(...) unless it starts with "float(", and a
// formula with "??" may evaluate to nil.
func castToFloatIfNecessary(formula string) string {
	if strings.Contains(formula, "??") {
		if strings.HasPrefix(formula, "let _kedaCompositeResult = ") {
			return formula
		}
		return fmt.Sprintf("let _kedaCompositeResult = (%s); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)", formula)
	}
	if strings.HasPrefix(formula, "float(") {
		return formula
	}
	return "float(" + formula + ")"
}

// FormulaError is a scalingModifiers formula that does not compile, with
// the position expr reports, translated back into the formula as written.
type FormulaError struct {
	Compiled string // the formula as compiled, after castToFloatIfNecessary
	Line     int    // 1-based, in the formula as written
	Column   int    // 1-based, in the formula as written; 0 when unknown
	Err      error
}

func (e *FormulaError) Error() string {
	return fmt.Sprintf("scalingModifiers.formula: line %d, column %d: %v (compiled as %q)", e.Line, e.Column, e.Err, e.Compiled)
}

func (e *FormulaError) Unwrap() error { return e.Err }

// compileFormula mirrors validateScalingModifiersFormula: the formula is
// compiled against an environment of every named non-cpu/memory trigger.
func compileFormula(s *Spec) (*vm.Program, error) {
	f := castToFloatIfNecessary(s.Modifiers.Formula)
	env := make(map[string]float64)
	for _, t := range s.Triggers {
		if t.Kind.External() && t.Name != "" {
			env[t.Name] = -1
		}
	}
	p, err := expr.Compile(f, expr.Env(env))
	if err != nil {
		fe := &FormulaError{Compiled: f, Line: 1, Err: err}
		var ee *file.Error
		if errors.As(err, &ee) {
			fe.Line, fe.Err = ee.Line, errors.New(ee.Message)
			// The wrapper adds a prefix on the first line.
			col := ee.Column
			if ee.Line == 1 {
				col -= strings.Index(f, s.Modifiers.Formula)
			}
			fe.Column = max(col, 0) + 1
		}
		return nil, fe
	}
	return p, nil
}
