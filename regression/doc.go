// Package regression is autoreplay's own regression suite: the seed
// scenarios of testdata/regression (Kafka lag through metrics-api with a cpu
// trigger, in one and two regions; a Prometheus request rate that scales to
// zero; a scalingModifiers formula; fallback over failed scrapes; an HPA on
// a latency Object metric; a Celery-style worker) replayed on traces derived
// from real public traces, each checked against its golden timeline with
// package replaytest. It holds tests only; see docs/regression.md.
package regression
