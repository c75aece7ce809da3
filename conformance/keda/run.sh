#!/usr/bin/env bash
# Differential conformance test of package keda against the code of KEDA
# v2.21.0: its scale loop, executor, fallback, scalingModifiers, metrics
# adapter path and HPA generation, with the real prometheus and metrics-api
# scalers.
#
# Usage: conformance/keda/run.sh [go test flags...]
#   e.g. conformance/keda/run.sh -run TestConformance -v
#        AUTOREPLAY_SCENARIOS=50 conformance/keda/run.sh
#        AUTOREPLAY_SCENARIO_SEED=0x1234 conformance/keda/run.sh -run TestConformance
#        conformance/keda/run.sh tidy     # update go.mod and go.sum
#
# KEDA's source is downloaded with the go command (checked against
# sum.golang.org and the hash pinned below) and copied to .work/keda, where
# go.mod's replace directive points: the go tool's -overlay flag refuses
# files under GOMODCACHE. The test is built from that copy with an overlay
# (.work/overlay.json): testdata/omit.txt lists the upstream files left out
# of the build, testdata/overlay/<path> the files added or replaced. Only
# the packages the test imports are built, and only their modules
# downloaded. Nothing under .work/keda is edited; .work is not committed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd -P)
mkdir -p .work

keda_version=v2.21.0
keda_sum=h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps=
keda_dir=.work/keda

# 1. The upstream source.
if [[ ! -f $keda_dir/.autoreplay-$keda_version ]]; then
	tmp=$(mktemp -d)
	info=$(cd "$tmp" && GO111MODULE=on GOFLAGS= go mod download -json "github.com/kedacore/keda/v2@$keda_version") || {
		rm -rf "$tmp"
		exit 1
	}
	rm -rf "$tmp"
	src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$info")
	sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p' <<<"$info")
	if [[ "$sum" != "$keda_sum" || ! -d "$src" ]]; then
		echo "run.sh: github.com/kedacore/keda/v2@$keda_version: got sum '$sum', want $keda_sum" >&2
		exit 1
	fi
	rm -rf "$keda_dir"
	cp -R "$src" "$keda_dir"
	chmod -R u+w "$keda_dir"
	touch "$keda_dir/.autoreplay-$keda_version"
fi

# 2. The overlay, with absolute paths.
omitted() {
	local line f
	local -A out=()
	while IFS= read -r line || [[ -n "$line" ]]; do
		line=${line%%#*}
		line=${line//[[:space:]]/}
		[[ -n "$line" ]] || continue
		if [[ $line == !* ]]; then
			for f in $keda_dir/${line#!}; do
				unset "out[${f#"$keda_dir"/}]"
			done
		else
			for f in $keda_dir/$line; do
				[[ -f "$f" && "$f" == *.go && "$f" != *_test.go ]] || continue
				out[${f#"$keda_dir"/}]=1
			done
		fi
	done <testdata/omit.txt
	if ((${#out[@]} > 0)); then
		printf '%s\n' "${!out[@]}" | sort
	fi
}
{
	printf '{"Replace": {'
	sep=""
	while IFS= read -r f; do
		printf '%s\n"%s": ""' "$sep" "$here/$keda_dir/$f"
		sep=,
	done < <(omitted)
	while IFS= read -r f; do
		f=${f#testdata/overlay/}
		printf '%s\n"%s": "%s"' "$sep" "$here/$keda_dir/$f" "$here/testdata/overlay/$f"
		sep=,
	done < <(find testdata/overlay -name '*.go' | sort)
	printf '\n}}\n'
} >.work/overlay.json

if [[ "${1:-}" == tidy ]]; then
	exec env GOFLAGS="-overlay=$here/.work/overlay.json" go mod tidy
fi

exec go test -mod=readonly -overlay="$here/.work/overlay.json" -count=1 "$@" ./...
