package serve

import (
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseExposition reads the exposition with the text parser of
// prometheus/common, as KEDA's metrics-api scaler (format prometheus)
// does. It needs github.com/munnerz/goautoneg in go.mod, which
// prometheus/common's expfmt imports.
func parseExposition(text string) ([]family, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	var out []family
	for name, f := range fams {
		fam := family{name: name, typ: strings.ToLower(f.GetType().String())}
		for _, m := range f.GetMetric() {
			s := sample{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				s.value = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				s.value = m.GetUntyped().GetValue()
			}
			fam.samples = append(fam.samples, s)
		}
		out = append(out, fam)
	}
	return out, nil
}

// validMetricName reports a legacy Prometheus metric name.
func validMetricName(s string) bool { return model.LegacyValidation.IsValidMetricName(s) }
