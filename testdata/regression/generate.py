#!/usr/bin/env python3
"""Derive the regression suite's traces from real source slices.

Run from the repository root (or anywhere):

    python3 testdata/regression/generate.py

It reads
    testdata/regression/source/azure-functions-2019-5-functions.csv
    testdata/regression/source/nasa-http-1995-07-13.csv
    testdata/traces/nasa-http-1995-07-01.csv            (reused, not copied)
and (re)writes every file in testdata/regression/traces/. Python 3 standard
library only; no randomness, no clock, no locale: the same bytes every run.

Trace format: docs/replay.md section 1 (CSV, header time[,region],<series>,
RFC 3339 UTC times, rows in time order, an empty cell is a failed scrape).
Every series column is named as the trigger / metric it feeds (section 2).

Number format: every value is written as repr(round(x, 6)) of a Python float
(shortest round-trip form, '.' decimal point), except integer-valued series
(lags, queue lengths), which are written as integers.

Times:
  * Azure Functions 2019: the trace day is not recorded in the source, so the
    date is nominal: minute_k (1-based, 00:00-00:01 UTC of the trace day) is
    2019-07-01T00:00:00Z + (k - 1) minutes, as in testdata/traces/SOURCE.md.
  * NASA-HTTP: minute_index m counts minutes from 1995-07-01 00:00:01 -0400,
    i.e. 1995-07-01T04:00:01Z + m minutes, as in testdata/traces/SOURCE.md.

The formulas and constants of each trace are stated next to its function
below and repeated in testdata/regression/SOURCE.md.
"""

import csv
import datetime
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "source")
TRACES = os.environ.get("REGRESSION_TRACES_OUT") or os.path.join(HERE, "traces")
SHARED_TRACES = os.path.join(HERE, "..", "traces")  # testdata/traces

AZURE = os.path.join(SOURCE, "azure-functions-2019-5-functions.csv")
NASA_0713 = os.path.join(SOURCE, "nasa-http-1995-07-13.csv")
NASA_0701 = os.path.join(SHARED_TRACES, "nasa-http-1995-07-01.csv")

AZURE_T0 = datetime.datetime(2019, 7, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
NASA_T0 = datetime.datetime(1995, 7, 1, 4, 0, 1, tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- helpers


def rfc3339(t):
    """RFC 3339 in UTC with a Z, whole seconds (all times here are)."""
    assert t.microsecond == 0
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def num(x):
    """A float as repr(round(x, 6)): the shortest form that reads back."""
    x = round(float(x), 6)
    if x == 0:
        x = 0.0  # no "-0.0"
    return repr(x)


def azure_function(prefix):
    """Invocations per minute (1440 ints) of the function whose HashFunction
    starts with prefix; element k-1 is minute_k."""
    with open(AZURE, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[3] == "minute_1" and header[-1] == "minute_1440"
    found = [r for r in rows[1:] if r[0].startswith(prefix)]
    assert len(found) == 1, prefix
    return [int(x) for x in found[0][3:]]


def nasa_minutes(path):
    """[(minute_index, requests)] of a slice of requests_per_minute.csv."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["minute_index", "requests"]
    out = [(int(m), int(r)) for m, r in rows[1:]]
    for (m0, _), (m1, _) in zip(out, out[1:]):
        assert m1 == m0 + 1
    return out


def azure_time(k):
    """Time of minute_k (1-based)."""
    return AZURE_T0 + datetime.timedelta(minutes=k - 1)


def nasa_time(m):
    """Time of minute_index m."""
    return NASA_T0 + datetime.timedelta(minutes=m)


def lag_series(arrivals, per_item, drain):
    """lag[k] = max(0, lag[k-1] + arrivals[k] * per_item - drain), lag[0] = 0
    before the first minute. Exact in float64 for the constants used here
    (whole numbers or multiples of 0.25); callers write whole numbers."""
    out, lag = [], 0.0
    for a in arrivals:
        lag = max(0.0, lag + a * per_item - drain)
        out.append(lag)
    return out


def write(name, header, rows):
    path = os.path.join(TRACES, name)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="ascii") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------- traces


# kafka-lag.csv (kafka-lag.yaml): Azure function 63ecf88a (diurnal), all 1440
# minutes. a[k] = invocations in minute_k; one message per invocation.
#   lag[k] = max(0, lag[k-1] + a[k] - 950)       (drain 950 messages/minute), lag[0] = 0
#   cpu[k] = min(100, 20 + 0.03 * a[k])          (percent; = 20 + 1.8 x the rate in 1/s)
KAFKA_FN = "63ecf88a5368"
KAFKA_DRAIN = 950
KAFKA_CPU = (20.0, 0.03)


def kafka_lag():
    a = azure_function(KAFKA_FN)
    lag = lag_series(a, 1, KAFKA_DRAIN)
    rows = []
    for k, (ak, lk) in enumerate(zip(a, lag), start=1):
        cpu = min(100.0, KAFKA_CPU[0] + KAFKA_CPU[1] * ak)
        rows.append([rfc3339(azure_time(k)), str(int(lk)), num(cpu)])
    return write("kafka-lag.csv", ["time", "lag", "cpu"], rows)


# kafka-lag-regions.csv (kafka-lag-us-east.yaml, kafka-lag-eu-west.yaml): two
# Azure functions, all 1440 minutes each, one region each; rows by time, then
# region (eu-west before us-east).
#   us-east = function 4ee40796 (mild diurnal):
#     lag[k] = max(0, lag[k-1] + 2.5 * a[k] - 950)    (2.5 messages per invocation)
#     cpu[k] = min(100, 25 + 0.09 * a[k])
#   eu-west = function c761e93b (strongly diurnal):
#     lag[k] = max(0, lag[k-1] + 1.25 * a[k] - 475)
#     cpu[k] = min(100, 15 + 0.06 * a[k])
# lag is rounded to a whole number of messages (round half to even) after the
# recurrence, which runs on exact multiples of 0.25.
REGIONS = {
    # region: (function, messages per invocation, drain per minute, cpu a, cpu b)
    "us-east": ("4ee407967611", 2.5, 950, 25.0, 0.09),
    "eu-west": ("c761e93b13d5", 1.25, 475, 15.0, 0.06),
}


def kafka_lag_regions():
    series = {}
    for region, (fn, per, drain, ca, cb) in REGIONS.items():
        a = azure_function(fn)
        lag = lag_series(a, per, drain)
        cpu = [min(100.0, ca + cb * x) for x in a]
        series[region] = (lag, cpu)
    rows = []
    for i in range(1440):
        for region in sorted(REGIONS):
            lag, cpu = series[region]
            rows.append([rfc3339(azure_time(i + 1)), region, str(int(round(lag[i]))), num(cpu[i])])
    return write("kafka-lag-regions.csv", ["time", "region", "lag", "cpu"], rows)


# prometheus-rps.csv (prometheus-rps.yaml): Azure function 0d5565a8 (on/off),
# all 1440 minutes, as the request rate of a service 30 times its size:
#   request_rate[k] = a[k] / 60 * 30   (requests per second; = a[k] / 2)
RPS_FN = "0d5565a83b11"
RPS_SCALE = 30


def prometheus_rps():
    a = azure_function(RPS_FN)
    rows = [[rfc3339(azure_time(k)), num(ak / 60 * RPS_SCALE)] for k, ak in enumerate(a, start=1)]
    return write("prometheus-rps.csv", ["time", "request_rate"], rows)


# modifiers.csv (modifiers.yaml): NASA-HTTP 1995-07-13, all 1440 minutes,
# r[m] = requests in minute m, as the traffic of a site 300 times its size:
#   request_rate[m] = r[m] / 60 * 300                  (requests per second)
#   error_rate[m]   = 0.01 + 0.04 * (r[m] / 200) ** 2  (5xx ratio: 1 % idle,
#                     rising with the square of the load; 0.05 at 200 req/min)
MOD_SCALE = 300
MOD_ERR = (0.01, 0.04, 200.0)


def modifiers():
    rows = []
    for m, r in nasa_minutes(NASA_0713):
        err = MOD_ERR[0] + MOD_ERR[1] * (r / MOD_ERR[2]) ** 2
        rows.append([rfc3339(nasa_time(m)), num(r / 60 * MOD_SCALE), num(err)])
    return write("modifiers.csv", ["time", "request_rate", "error_rate"], rows)


# fallback.csv (fallback.yaml): NASA-HTTP 1995-07-01 (testdata/traces/
# nasa-http-1995-07-01.csv), all 1440 minutes, every 15 s: minute m's rate
# is written at m + 0 s, 15 s, 30 s and 45 s (the per-minute count spread
# uniformly over the minute):
#   request_rate = r[m] / 60 * 60     (requests per second; = r[m])
# Failed scrapes (empty cells) at the rows of the FB_FAILED stretches; row
# (m, s) is minute_index m at + 15 s * s, slot m * 4 + s:
FB_SCALE = 60
FB_FAILED = [
    # (first minute_index, first 15 s slot in that minute, number of 15 s rows)
    (300, 0, 12),   # 1995-07-01T09:00:01Z .. 09:02:46Z: 3 minutes (05:00 EDT, night, 2-4 replicas)
    (1062, 0, 24),  # 1995-07-01T21:42:01Z .. 21:47:46Z: 6 minutes (17:42 EDT, 10 replicas)
    (1260, 2, 1),   # 1995-07-02T01:00:31Z: one row, 15 s (below the failure threshold)
]


def failed_slots():
    out = set()
    for m0, s0, n in FB_FAILED:
        for i in range(n):
            slot = m0 * 4 + s0 + i
            out.add(slot)
    return out


def fallback():
    failed = failed_slots()
    rows = []
    for m, r in nasa_minutes(NASA_0701):
        for s in range(4):
            t = nasa_time(m) + datetime.timedelta(seconds=15 * s)
            cell = "" if m * 4 + s in failed else num(r / 60 * FB_SCALE)
            rows.append([rfc3339(t), cell])
    return write("fallback.csv", ["time", "request_rate"], rows)


# hpa-latency.csv (hpa-latency.yaml; hpa-latency-closed uses the third
# column): NASA-HTTP 1995-07-13, all 1440 minutes, r[m] = requests in minute m.
#   latency[m] = min(400, 6 / (1 - r[m] / 260))  if r[m] < 260
#              = 400                             if r[m] >= 260
#     (milliseconds: the p95 latency of a server of capacity 260 requests per
#     minute, 6 ms unloaded, growing as 1 / (1 - load / capacity), and at the
#     400 ms client timeout when saturated)
#   requests_per_minute[m] = r[m]
#     (the offered load, unchanged; in the open loop it feeds nothing, in the
#     closed loop it is the utilization model's --load)
LAT_BASE = 6.0
LAT_CAPACITY = 260.0
LAT_TIMEOUT = 400.0


def hpa_latency():
    rows = []
    for m, r in nasa_minutes(NASA_0713):
        if r < LAT_CAPACITY:
            lat = min(LAT_TIMEOUT, LAT_BASE / (1 - r / LAT_CAPACITY))
        else:
            lat = LAT_TIMEOUT
        rows.append([rfc3339(nasa_time(m)), num(lat), str(r)])
    return write("hpa-latency.csv", ["time", "latency", "requests_per_minute"], rows)


# celery.csv (celery.yaml): Azure function bcbea1f2 (strongly diurnal, bursts),
# minutes 121..1440 (02:00 to 24:00; the first two hours hold a burst that would
# keep the queue full for the rest of the day). One task per invocation; the
# workers drain at most 180 tasks per minute; a worker fully busy completes
# 22.5 tasks per minute (180 / 8):
#   processed[k] = min(queue[k-1] + a[k], 180)
#   queue[k]     = queue[k-1] + a[k] - processed[k]    (= max(0, queue[k-1] + a[k] - 180))
#   busy[k]      = processed[k] / 22.5                 (busy ratio summed over workers)
# queue[120] = 0 (before minute 121).
CELERY_FN = "bcbea1f2d92a"
CELERY_FIRST = 121
CELERY_DRAIN = 180
CELERY_PER_WORKER = 22.5


def celery():
    a = azure_function(CELERY_FN)
    rows, queue = [], 0
    for k in range(CELERY_FIRST, 1441):
        ak = a[k - 1]
        processed = min(queue + ak, CELERY_DRAIN)
        queue = queue + ak - processed
        rows.append([rfc3339(azure_time(k)), str(queue), num(processed / CELERY_PER_WORKER)])
    return write("celery.csv", ["time", "celery_queue_length", "celery_workers_busy"], rows)


def main():
    os.makedirs(TRACES, exist_ok=True)
    for gen in (kafka_lag, kafka_lag_regions, prometheus_rps, modifiers, fallback, hpa_latency, celery):
        path = gen()
        print("wrote", os.path.relpath(path, os.path.join(HERE, "..", "..")))


if __name__ == "__main__":
    main()
