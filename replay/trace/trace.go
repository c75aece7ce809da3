// Package trace reads and writes the metric traces autoreplay replays: CSV,
// Parquet and the JSON of Prometheus' /api/v1/query_range.
//
// A trace is a sequence of rows in time order. Each row has a time, an
// optional region (one trace may hold several regions), an optional replica
// count recorded in production, and one value per metric series. Readers are
// shaped like bufio.Scanner and stream, so a trace of any length is read in
// bounded memory:
//
//	r := trace.NewCSVReader("lag.csv", f)
//	for r.Scan() {
//		s := r.Sample()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// NewCSVReader, NewParquetReader and NewPromReader read the formats;
// CSVWriter and ParquetWriter write the first two; Join merges traces by
// time and region, e.g. a Prometheus result of lag with one of replicas.
// Errors in the data are *ParseError, printed as file:line:col: message.
//
// See docs/replay.md for the formats.
package trace

import (
	"fmt"
	"time"
)

// Header describes the columns of a trace.
type Header struct {
	// Series names the metric series, in column order; Sample.Values has
	// one entry per series.
	Series []string
	// Region reports a region column.
	Region bool
	// Replicas reports a column of replicas recorded in production.
	Replicas bool
}

// Status is the state of one series in one row.
type Status uint8

const (
	// Absent: the row has no sample of the series; the previous sample
	// holds. Rows joined from several sources, and Prometheus results
	// without a point at the row's time, have absent values. A CSV cell is
	// never absent.
	Absent Status = iota
	// Present: the source returned V. V may be NaN or ±Inf: values the
	// source returned, which the scalers handle as upstream does.
	Present
	// Failed: the source returned an error at this time (an empty CSV
	// cell, a null Parquet value).
	Failed
)

// String returns "absent", "present" or "failed".
func (s Status) String() string {
	switch s {
	case Absent:
		return "absent"
	case Present:
		return "present"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Value is one series' sample in a row.
type Value struct {
	V      float64
	Status Status
}

// Sample is one row of a trace.
type Sample struct {
	// Time is the row's time. Rows come in non-decreasing time order.
	Time time.Time
	// Region is the row's region; empty without a region column.
	Region string
	// Replicas is the replica count recorded at Time, when HasReplicas.
	Replicas    int32
	HasReplicas bool
	// Values holds one value per Header.Series.
	Values []Value
	// Line is the row's 1-based position in its source for messages: the
	// line of a CSV file, the row number of a Parquet file (1 is the first
	// row), 0 where the source has no line (Prometheus JSON).
	Line int
}

// Reader is a source of samples, shaped like bufio.Scanner.
type Reader interface {
	// Header describes the columns. It is valid before the first Scan
	// (readers parse the header when created, or return it empty and
	// report the problem through Err).
	Header() Header
	// Scan advances to the next sample. It returns false at the end of the
	// input or on an error; Err tells which.
	Scan() bool
	// Sample is the current sample. It and its Values are reused by the
	// next Scan.
	Sample() *Sample
	// Err is the first error met, nil at a clean end of input. Errors in
	// the data are *ParseError.
	Err() error
}

// ParseError is a problem at a place in a trace file.
type ParseError struct {
	// File names the input.
	File string
	// Line and Column are 1-based; 0 when unknown. For Parquet, Line is the
	// row number and Column the column's index + 1.
	Line, Column int
	// Err is what was wrong and what was expected.
	Err error
}

// Error formats the error as file:line:col: message, leaving out the
// line and column when they are unknown.
func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }
