package manifest

import (
	"bytes"
	"cmp"
	"slices"
)

// Object is one HorizontalPodAutoscaler or ScaledObject of a manifest:
// exactly one of HPA and ScaledObject is set.
type Object struct {
	HPA          *HPA
	ScaledObject *ScaledObject
}

// Kind is "HorizontalPodAutoscaler" or "ScaledObject".
func (o Object) Kind() string {
	if o.HPA != nil {
		return "HorizontalPodAutoscaler"
	}
	return "ScaledObject"
}

// Name is the object's metadata.name.
func (o Object) Name() string {
	if o.HPA != nil {
		return o.HPA.Name
	}
	return o.ScaledObject.Name
}

// Line is the 1-based line where the object starts.
func (o Object) Line() int {
	if o.HPA != nil {
		return o.HPA.Line
	}
	return o.ScaledObject.Line
}

// String is the kind and the name, e.g. "ScaledObject orders-consumer".
func (o Object) String() string { return o.Kind() + " " + o.Name() }

// ParseObjects reads the HorizontalPodAutoscalers and ScaledObjects of
// data with ParseHPAs and ParseScaledObjects, and returns them in the
// order they appear. file names the input in errors.
func ParseObjects(file string, data []byte, opt Options) ([]Object, error) {
	hpas, err := ParseHPAs(file, bytes.NewReader(data), opt)
	if err != nil {
		return nil, err
	}
	sos, err := ParseScaledObjects(file, bytes.NewReader(data), opt)
	if err != nil {
		return nil, err
	}
	objs := make([]Object, 0, len(hpas)+len(sos))
	for i := range hpas {
		objs = append(objs, Object{HPA: &hpas[i]})
	}
	for i := range sos {
		objs = append(objs, Object{ScaledObject: &sos[i]})
	}
	slices.SortStableFunc(objs, func(a, b Object) int { return cmp.Compare(a.Line(), b.Line()) })
	return objs, nil
}
