// This file is not part of KEDA. The autoreplay conformance suite
// (conformance/keda/run.sh) adds it to pkg/scalers with the go tool's
// -overlay flag. The scalers the suite builds name the HPA metric source
// type with externalMetricType, which upstream declares in a scaler the
// suite leaves out (azure_queue_scaler.go) as the string "External".

package scalers

import v2 "k8s.io/api/autoscaling/v2"

const externalMetricType = v2.ExternalMetricSourceType
