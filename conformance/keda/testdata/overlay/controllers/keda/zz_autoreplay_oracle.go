// This file is not part of KEDA. The autoreplay conformance suite
// (conformance/keda/run.sh) adds it to controllers/keda with the go tool's
// -overlay flag, and builds that package from hpa.go alone: the other files
// (the reconcilers, their event emitter and watches) are left out. It
// declares ScaledObjectReconciler with the fields hpa.go uses (upstream's
// declaration, in scaledobject_controller.go, also holds the event emitter
// and the controller's caches), and exports createAndDeployNewHPA, which
// generates the HPA (newHPAForScaledObject, getScaledObjectMetricSpecs),
// creates it and records its name in the ScaledObject's status.

package keda

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/scale"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scaling"
)

// ScaledObjectReconciler holds the fields of upstream's reconciler that
// hpa.go uses.
type ScaledObjectReconciler struct {
	Client       client.Client
	Scheme       *runtime.Scheme
	ScaleClient  scale.ScalesGetter
	ScaleHandler scaling.ScaleHandler
}

// AutoreplayCreateHPA creates the HPA for the ScaledObject, as the
// reconciler does when it finds none (createAndDeployNewHPA). Like upstream,
// it updates the ScaledObject's status through the client
// (externalMetricNames, health, compositeScalerName, hpaName) and builds the
// scale handler's scalers cache.
func (r *ScaledObjectReconciler) AutoreplayCreateHPA(ctx context.Context, logger logr.Logger, scaledObject *kedav1alpha1.ScaledObject, gvkr *kedav1alpha1.GroupVersionKindResource) error {
	return r.createAndDeployNewHPA(ctx, logger, scaledObject, gvkr)
}
