#!/usr/bin/env bash
# Differential conformance test of hpa.Autoscaler against the upstream
# kube-controller-manager v1.37.2 HPA controller.
#
# Usage: conformance/run.sh [go test flags...]
#   e.g. conformance/run.sh -run TestConformance -v
#        AUTOREPLAY_SCENARIOS=50 conformance/run.sh
#        AUTOREPLAY_SCENARIO_SEED=0x1234 conformance/run.sh
#
# The module is vendored (vendor/ is not committed) and the oracle file
# testdata/zz_autoreplay_oracle.go is added to the vendored controller
# package with -overlay: it exports reconcileAutoscaler to the test.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd -P)
mkdir -p .work

# Vendor again whenever the module requirements change, or the sources of
# the parent module's packages that go mod vendor copied into vendor/ (the
# parent is replaced by ../, and vendor mode reads only the copy).
parent_pkgs() {
	if [[ -f vendor/modules.txt ]]; then
		awk '/^# /{p = ($2 == "github.com/autoreplay/autoreplay")} p && !/^#/{print}' vendor/modules.txt
	else
		echo github.com/autoreplay/autoreplay/hpa
	fi
}
stamp() {
	{
		cat go.mod go.sum ../go.mod
		[[ ! -f ../go.sum ]] || cat ../go.sum
		for p in $(parent_pkgs); do
			dir=..${p#github.com/autoreplay/autoreplay}
			for f in "$dir"/*.go; do
				[[ -f "$f" && "$f" != *_test.go ]] || continue
				printf '%s\n' "$f"
				cat "$f"
			done
		done
	} | sha256sum | cut -d' ' -f1
}
want=$(stamp)
if [[ ! -f vendor/modules.txt || ! -f .work/vendor.stamp || "$(cat .work/vendor.stamp)" != "$want" ]]; then
	if ! { go mod download && go mod vendor; }; then
		echo "run.sh: vendoring failed; if ../go.mod changed, run 'go mod tidy' in conformance/" >&2
		exit 1
	fi
	want=$(stamp)
	echo "$want" >.work/vendor.stamp
fi

pkg=vendor/k8s.io/kubernetes/pkg/controller/podautoscaler
if [[ ! -f "$pkg/horizontal.go" ]]; then
	echo "run.sh: $pkg is missing from vendor/" >&2
	exit 1
fi
cat >.work/overlay.json <<EOF
{"Replace": {"$here/$pkg/zz_autoreplay_oracle.go": "$here/testdata/zz_autoreplay_oracle.go"}}
EOF

exec go test -mod=vendor -overlay="$here/.work/overlay.json" -count=1 "$@" ./...
