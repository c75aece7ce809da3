package trace

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// BenchmarkCSVReader reads rows like 2024-01-01T00:00:10Z,eu-west,3,1234.5,0.75
// with RFC 3339 times or Unix seconds.
func BenchmarkCSVReader(b *testing.B) {
	for _, unix := range []bool{false, true} {
		name := map[bool]string{false: "rfc3339", true: "unix"}[unix]
		in := csvInput(100000, unix)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			rows := 0
			for b.Loop() {
				r := NewCSVReader("in.csv", bytes.NewReader(in))
				for r.Scan() {
					rows++
				}
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkCSVWriter(b *testing.B) {
	samples, err := readAll(NewCSVReader("in.csv", bytes.NewReader(csvInput(100000, false))))
	if err != nil {
		b.Fatal(err)
	}
	h := Header{Series: []string{"lag", "cpu"}, Region: true, Replicas: true}
	var out bytes.Buffer
	rows := 0
	for b.Loop() {
		rows += len(samples)
		out.Reset()
		w := NewCSVWriter(&out, h)
		for i := range samples {
			if err := w.Write(&samples[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkParquetReader(b *testing.B) {
	samples, err := readAll(NewCSVReader("in.csv", bytes.NewReader(csvInput(100000, false))))
	if err != nil {
		b.Fatal(err)
	}
	var data bytes.Buffer
	w := NewParquetWriter(&data, Header{Series: []string{"lag", "cpu"}, Region: true, Replicas: true})
	for i := range samples {
		if err := w.Write(&samples[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(data.Len()))
	rows := 0
	for b.Loop() {
		r, err := NewParquetReader("in.parquet", bytes.NewReader(data.Bytes()), int64(data.Len()))
		if err != nil {
			b.Fatal(err)
		}
		for r.Scan() {
			rows++
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPromReader reads a response of 10 series of 11,000 points (the
// most Prometheus returns per series) in two regions.
func BenchmarkPromReader(b *testing.B) {
	var in bytes.Buffer
	in.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := range 10 {
		if s > 0 {
			in.WriteString(",")
		}
		fmt.Fprintf(&in, `{"metric":{"__name__":"kafka_consumergroup_lag","topic":"t%d","region":"r%d"},"values":[`, s/2, s%2)
		for i := range 11000 {
			if i > 0 {
				in.WriteString(",")
			}
			t := epoch.Add(time.Duration(i) * 15 * time.Second)
			fmt.Fprintf(&in, `[%d.%03d,"%d.5"]`, t.Unix(), s, i%1000)
		}
		in.WriteString("]}")
	}
	in.WriteString("]}}")
	b.SetBytes(int64(in.Len()))
	rows := 0
	for b.Loop() {
		r, err := NewPromReader("in.json", bytes.NewReader(in.Bytes()), PromOptions{ColumnLabel: "topic", RegionLabel: "region"})
		if err != nil {
			b.Fatal(err)
		}
		for r.Scan() {
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkJoin(b *testing.B) {
	lag := csvInput(100000, false)
	cpu := bytes.Replace(csvInput(100000, false), []byte("time,region,replicas,lag,cpu"), []byte("time,region,replicas2,lag2,cpu2"), 1)
	rows := 0
	for b.Loop() {
		j, err := Join(NewCSVReader("lag.csv", bytes.NewReader(lag)), NewCSVReader("cpu.csv", bytes.NewReader(cpu)))
		if err != nil {
			b.Fatal(err)
		}
		for j.Scan() {
			rows++
		}
		if j.Err() != nil {
			b.Fatal(j.Err())
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
