#!/usr/bin/env python3
"""Merges the raw results of one `make bench` run into one JSON document and one table.

    python3 benchmarks/report.py --raw <dir with core.json, core-meta.json, node.json,
        python.json, exchange.json, run.json> --json benchmarks/results/latest.json
        [--markdown benchmarks/results/latest.md]

Every case has two rates, each the median of its interleaved rounds: operations per second of
wall-clock time, and operations per second of the process's CPU time ("per CPU-second": the
cost of one operation whatever else ran on the machine). Ratios: for an oidcore row, oidcore ÷
the floor of its language (the raw signature verification of the same signing input); for a
peer's row, the oidcore counterpart named in the last column ÷ the peer. All of them within
this one run.

The cost targets (overhead over the floor, factors over the peers, cached rates) are judged on
the per-CPU-second rates, which the other work on a shared machine does not move; the
wall-clock ratio is printed beside them. Scaling and round trips are judged as measured.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Callable, Optional

ALGS = ("RS256", "ES256", "EdDSA")
RUNNER_NAMES = {"c": "C", "node": "Node", "python": "Python"}
Rate = Optional[float]


def load(raw: str, name: str) -> Optional[dict[str, Any]]:
    path = os.path.join(raw, name)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def median(xs: list[float]) -> Rate:
    s = sorted(x for x in xs if x is not None)
    if not s:
        return None
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def ratio(a: Rate, b: Rate) -> Rate:
    if a is None or b is None or b == 0:
        return None
    return a / b


class Results:
    """(wall ops/s, ops per CPU-second) by (runner, case, alg, threads); threads 0 is the
    single-thread main loop of Node and Python, 1 and 2 their scaling runs; C uses 1 and 2."""

    def __init__(self) -> None:
        self.rates: dict[tuple[str, str, str, int], tuple[Rate, Rate]] = {}
        self.errors: dict[tuple[str, str, str, int], str] = {}

    def put(self, key: tuple[str, str, str, int], wall: Rate, cpu: Rate, error: str = "") -> None:
        self.rates[key] = (wall, cpu)
        if error:
            self.errors[key] = error

    def wall(self, runner: str, case: str, alg: str, threads: int) -> Rate:
        return self.rates.get((runner, case, alg, threads), (None, None))[0]

    def cpu(self, runner: str, case: str, alg: str, threads: int) -> Rate:
        return self.rates.get((runner, case, alg, threads), (None, None))[1]


def main_threads(runner: str) -> int:
    return 1 if runner == "c" else 0


def core_results(core: dict[str, Any], res: Results) -> None:
    """Google Benchmark's repetitions → the median of each case's."""
    runs: dict[tuple[str, str, str, int], list[tuple[Rate, Rate]]] = {}
    errors: dict[tuple[str, str, str, int], str] = {}
    for b in core["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        base = b["run_name"].split("/min_time")[0]
        case, _, alg = base.rpartition("/")
        key = ("c", case, alg, int(b.get("threads", 1)))
        if b.get("error_occurred"):
            errors[key] = b.get("error_message", "error")
            runs.setdefault(key, []).append((None, None))
            continue
        scale = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1.0}[b.get("time_unit", "ns")]
        # cpu_time: the CPU per iteration (with threads, all their CPU over all their iterations)
        cpu = scale / b["cpu_time"] if b.get("cpu_time") else None
        runs.setdefault(key, []).append((b.get("items_per_second"), cpu))
    for key, values in runs.items():
        res.put(key, median([w for w, _ in values if w is not None]), median([c for _, c in values if c is not None]),
                errors.get(key, ""))


# (label, runner, case, kind, counterpart): kind "floor" (no ratio), "self" (÷ floor), "peer"
# (counterpart ÷ this).
ROWS: list[tuple[str, str, str, str, str]] = [
    ("C: OpenSSL EVP verify (floor; EdDSA: Ed25519 through EVP)", "c", "floor/openssl", "floor", ""),
    ("C: libsodium Ed25519 verify (EdDSA floor)", "c", "floor/libsodium", "floor", ""),
    ("C: oidcore_verifier_verify (C ABI)", "c", "capi/verify", "self", ""),
    ("C: oidcore::Verifier::verify (C++)", "c", "cpp/verify", "self", ""),
    ("C: oidcore_verifier_verify_request, cookie", "c", "capi/verify_request_cookie", "self", ""),
    ("C: oidcore_verifier_verify_request, bearer", "c", "capi/verify_request_bearer", "self", ""),
    ("C: parse only (split, header, payload JSON)", "c", "cpp/parse", "self", ""),
    ("C: oidcore_verifier_verify, token cache", "c", "capi/verify_cached", "self", ""),
    ("Node: node:crypto verify (floor)", "node", "node:crypto verify (floor)", "floor", ""),
    ("Node: oidcore verifySync", "node", "oidcore verifySync", "self", ""),
    ("Node: oidcore verify", "node", "oidcore verify", "self", ""),
    ("Node: oidcore verify, jwksUri (loopback, cached)", "node", "oidcore verify (jwksUri)", "self", ""),
    ("Node: oidcore verifyRequest, cookie", "node", "oidcore verifyRequest (cookie)", "self", ""),
    ("Node: oidcore verifyRequest, bearer", "node", "oidcore verifyRequest (bearer)", "self", ""),
    ("Node: oidcore OidcoreStrategy.authenticate", "node", "oidcore OidcoreStrategy", "self", ""),
    ("Node: oidcore verifySync, token cache", "node", "oidcore verifySync (token cache)", "self", ""),
    ("Node: oidcore verify, token cache", "node", "oidcore verify (token cache)", "self", ""),
    ("Node: passport-jwt + jwks-rsa (authenticate)", "node", "passport-jwt + jwks-rsa", "peer", "oidcore OidcoreStrategy"),
    ("Node: jose jwtVerify, createLocalJWKSet", "node", "jose jwtVerify (local JWKS)", "peer", "oidcore verify"),
    ("Node: jose jwtVerify, createRemoteJWKSet", "node", "jose jwtVerify (remote JWKS)", "peer", "oidcore verify (jwksUri)"),
    ("Node: fast-jwt createVerifier", "node", "fast-jwt", "peer", "oidcore verifySync"),
    ("Node: fast-jwt createVerifier, cache", "node", "fast-jwt (cache)", "peer", "oidcore verifySync (token cache)"),
    ("Python: cryptography verify (floor)", "python", "cryptography verify (floor)", "floor", ""),
    ("Python: oidcore verify", "python", "oidcore verify", "self", ""),
    ("Python: oidcore verify, jwks_uri (loopback, cached)", "python", "oidcore verify (jwks_uri)", "self", ""),
    ("Python: oidcore verify_request, bearer", "python", "oidcore verify_request (bearer)", "self", ""),
    ("Python: oidcore verify, token cache", "python", "oidcore verify (token cache)", "self", ""),
    ("Python: PyJWT + PyJWKClient", "python", "PyJWT + PyJWKClient", "peer", "oidcore verify (jwks_uri)"),
    ("Python: PyJWT, key loaded once", "python", "PyJWT (key loaded once)", "peer", "oidcore verify"),
    ("Python: joserfc", "python", "joserfc", "peer", "oidcore verify"),
]

SCALING = [
    ("c", "capi/verify", "RS256"), ("c", "capi/verify", "ES256"), ("c", "capi/verify", "EdDSA"),
    ("c", "capi/verify_cached", "RS256"), ("c", "floor/openssl", "RS256"), ("c", "floor/openssl", "ES256"),
    ("c", "floor/libsodium", "EdDSA"),
    ("node", "oidcore verifySync", "RS256"), ("node", "fast-jwt", "RS256"), ("node", "node:crypto verify (floor)", "RS256"),
    ("python", "oidcore verify", "RS256"), ("python", "PyJWT (key loaded once)", "RS256"),
    ("python", "cryptography verify (floor)", "RS256"),
]


def floor_case(runner: str, alg: str) -> str:
    if runner == "c":
        return "floor/libsodium" if alg == "EdDSA" else "floor/openssl"
    return {"node": "node:crypto verify (floor)", "python": "cryptography verify (floor)"}[runner]


def build(raw: str) -> dict[str, Any]:
    core = load(raw, "core.json")
    core_meta = load(raw, "core-meta.json") or {}
    node = load(raw, "node.json")
    python = load(raw, "python.json")
    exchange = load(raw, "exchange.json")
    run = load(raw, "run.json") or {}
    res = Results()
    if core:
        core_results(core, res)
    for name, doc in (("node", node), ("python", python)):
        if doc:
            for r in doc["results"]:
                res.put((name, r["case"], r["alg"], r.get("threads", 0)), r.get("ops_per_sec"),
                        r.get("ops_per_cpu_sec"), r.get("error", ""))

    def wall(runner: str, case: str, alg: str) -> Rate:
        return res.wall(runner, case, alg, main_threads(runner))

    def cpu(runner: str, case: str, alg: str) -> Rate:
        return res.cpu(runner, case, alg, main_threads(runner))

    # ------------------------------------------------------------------ the side-by-side table
    label_of = {(runner, case): label for label, runner, case, _, _ in ROWS}
    table: list[dict[str, Any]] = []
    for label, runner, case, kind, counterpart in ROWS:
        cells: dict[str, Any] = {}
        for alg in ALGS:
            key = (runner, case, alg, main_threads(runner))
            if key not in res.rates:
                continue
            w, c = res.rates[key]
            if kind == "self":
                other = floor_case(runner, alg)
                rw, rc = ratio(w, wall(runner, other, alg)), ratio(c, cpu(runner, other, alg))
            elif kind == "peer":
                rw, rc = ratio(wall(runner, counterpart, alg), w), ratio(cpu(runner, counterpart, alg), c)
            else:
                rw = rc = None
            cells[alg] = {"ops_per_sec": w, "ops_per_cpu_sec": c, "ratio": rw, "ratio_cpu": rc,
                          "error": res.errors.get(key) or None}
        if not cells:
            continue
        if kind == "peer":
            what = f"{label_of[(runner, counterpart)].split(': ', 1)[1]} ÷ this"
        else:
            what = "÷ floor" if kind == "self" else ""
        table.append({"label": label, "runner": runner, "case": case, "kind": kind, "ratio_is": what, "cells": cells})

    # ------------------------------------------------------------------ scaling and memory
    scaling = []
    for runner, case, alg in SCALING:
        one, two = res.wall(runner, case, alg, 1), res.wall(runner, case, alg, 2)
        if one is None and two is None:
            continue
        how = {"c": "threads, one verifier", "node": "worker_threads", "python": "threads"}[runner]
        c1, c2 = res.cpu(runner, case, alg, 1), res.cpu(runner, case, alg, 2)
        # cores busy: CPU seconds per wall-clock second, i.e. how much of the machine the run got
        scaling.append({"runner": runner, "case": case, "alg": alg, "how": how, "threads_1": one, "threads_2": two,
                        "ratio": ratio(two, one), "per_cpu_sec_1": c1, "per_cpu_sec_2": c2,
                        "cores_busy_1": ratio(one, c1), "cores_busy_2": ratio(two, c2)})
    rss = {}
    for name, doc in (("core (C++, Google Benchmark)", core_meta), ("Node (verification)", node),
                      ("Node (exchange codes)", exchange), ("Python", python)):
        if doc and doc.get("peak_rss_kb"):
            rss[name] = doc["peak_rss_kb"]

    # ------------------------------------------------------------------ targets
    targets: list[dict[str, Any]] = []

    def target(name: str, source: str, unit: str, fn: Callable[[Callable[..., Rate], str], Rate],
               ok: Callable[[float], bool], algs: tuple[str, ...] = ALGS) -> None:
        values = {a: fn(cpu, a) for a in algs}
        walls = {a: fn(wall, a) for a in algs}
        judged = [ok(v) for v in values.values() if v is not None]
        targets.append({"target": name, "source": source, "unit": unit, "values": values, "wall_values": walls,
                        "met": (all(judged) if judged else None)})

    def overhead(runner: str, case: str) -> Callable[[Callable[..., Rate], str], Rate]:
        def f(get: Callable[..., Rate], alg: str) -> Rate:
            r = ratio(get(runner, floor_case(runner, alg), alg), get(runner, case, alg))
            return None if r is None else r - 1
        return f

    def rel(runner: str, a: str, b: str) -> Callable[[Callable[..., Rate], str], Rate]:
        return lambda get, alg: ratio(get(runner, a, alg), get(runner, b, alg))

    def rate(runner: str, case: str) -> Callable[[Callable[..., Rate], str], Rate]:
        return lambda get, alg: get(runner, case, alg)

    target("C: per-token overhead over the raw verify < 10 %", "issue + design", "overhead",
           overhead("c", "capi/verify"), lambda v: v < 0.10)
    target("Node: verifySync overhead over node:crypto < 25 %", "issue", "overhead",
           overhead("node", "oidcore verifySync"), lambda v: v < 0.25)
    target("Python: verify overhead over cryptography < 25 %", "issue", "overhead",
           overhead("python", "oidcore verify"), lambda v: v < 0.25)
    target("Node: OidcoreStrategy ≥ 2x passport-jwt + jwks-rsa", "issue", "x",
           rel("node", "oidcore OidcoreStrategy", "passport-jwt + jwks-rsa"), lambda v: v >= 2)
    target("Node: verifySync RS256 ≥ 10x passport-jwt + jwks-rsa", "design", "x",
           rel("node", "oidcore verifySync", "passport-jwt + jwks-rsa"), lambda v: v >= 10, ("RS256",))
    target("Node: verify ahead of jose (local JWKS)", "issue", "x",
           rel("node", "oidcore verify", "jose jwtVerify (local JWKS)"), lambda v: v > 1)
    target("Node: verifySync ahead of fast-jwt (no cache)", "issue", "x",
           rel("node", "oidcore verifySync", "fast-jwt"), lambda v: v > 1)
    target("Node: verifySync RS256 ≥ 1.5x fast-jwt", "design", "x",
           rel("node", "oidcore verifySync", "fast-jwt"), lambda v: v >= 1.5, ("RS256",))
    target("Node: verifySync ES256 within 15 % of the OpenSSL floor (node:crypto)", "design", "x",
           rel("node", "oidcore verifySync", "node:crypto verify (floor)"), lambda v: v >= 0.85, ("ES256",))
    target("Node: verifySync EdDSA (libsodium) ≥ 2x the OpenSSL floor (node:crypto)", "design", "x",
           rel("node", "oidcore verifySync", "node:crypto verify (floor)"), lambda v: v >= 2, ("EdDSA",))
    target("C: token cache, millions/s", "issue", "ops/s", rate("c", "capi/verify_cached"), lambda v: v >= 1e6)
    target("C: token cache > 10M/s", "design", "ops/s", rate("c", "capi/verify_cached"), lambda v: v >= 1e7)
    target("Node: token cache, hundreds of thousands/s (verifySync)", "issue", "ops/s",
           rate("node", "oidcore verifySync (token cache)"), lambda v: v >= 1e5)
    target("Node: token cache > 1M/s (verifySync)", "design", "ops/s",
           rate("node", "oidcore verifySync (token cache)"), lambda v: v >= 1e6)
    target("Python: verify (jwks_uri) ≥ 2.5x PyJWT + PyJWKClient", "design", "x",
           rel("python", "oidcore verify (jwks_uri)", "PyJWT + PyJWKClient"), lambda v: v >= 2.5)
    py_one, py_two = res.wall("python", "oidcore verify", "RS256", 1), res.wall("python", "oidcore verify", "RS256", 2)
    py_scale = ratio(py_two, py_one)
    py_cores = ratio(py_two, res.cpu("python", "oidcore verify", "RS256", 2))
    # Threads that cannot run at once (the GIL held) stay near one core busy even on an idle
    # machine; a machine busy with other work gives the same picture. Only a run that got
    # about two cores can show that they do not scale.
    py_met = None if py_scale is None else True if py_scale >= 1.5 else (False if (py_cores or 0) >= 1.5 else None)
    targets.append({"target": "Python: threads scale (2 threads ≥ 1.5x 1 thread, RS256, wall clock)", "source": "design",
                    "unit": "x", "values": {"RS256": py_scale}, "wall_values": {"RS256": py_scale},
                    "cores_busy_2": py_cores, "met": py_met})
    if exchange:
        trips = {}
        for r in exchange["results"]:
            if r["case"].startswith("oidcore") and "create_round_trips" in r:
                trips = {"create": r["create_round_trips"], "redeem": r["redeem_round_trips"]}
        targets.append({"target": "Exchange codes: one Redis round trip per create and per redeem",
                        "source": "issue + design", "unit": "round trips", "values": trips, "wall_values": trips,
                        "met": (all(v <= 1.0 for v in trips.values()) if trips else None)})

    versions: dict[str, Any] = {}
    if core_meta:
        versions.update({"oidcore": core_meta.get("oidcore"), "core_openssl": core_meta.get("crypto"),
                         "libsodium": core_meta.get("libsodium")})
    if node:
        versions.update({"node": node.get("node"), "node_openssl": node.get("openssl"),
                         "node_oidcore_crypto": node.get("oidcore_crypto"), "npm": node.get("peers")})
    if python:
        versions.update({k: python.get(k) for k in ("python", "pyjwt", "joserfc", "cryptography")})
    if exchange:
        versions["redis"] = exchange.get("redis")
        versions.setdefault("npm", {}).update(exchange.get("peers") or {})
    context = {}
    if core:
        ctx = core["context"]
        context = {k: ctx.get(k) for k in ("num_cpus", "mhz_per_cpu", "load_avg", "library_build_type")}
    return {
        "bench_seconds": run.get("bench_seconds"),
        "rounds": run.get("rounds"),
        "started": run.get("started"),
        "machine": run.get("machine", {}),
        "git": run.get("git", {}),
        "phases_seconds": run.get("phases_seconds", {}),
        "versions": versions,
        "google_benchmark_context": context,
        "token_cache": {name: doc.get("token_cache") for name, doc in
                        (("core", core_meta), ("node", node), ("python", python)) if doc},
        "jwks_requests": {name: doc.get("jwks_requests") for name, doc in (("node", node), ("python", python)) if doc},
        "table": table,
        "scaling": scaling,
        "peak_rss_kb": rss,
        "exchange_codes": exchange,
        "targets": targets,
        "raw": {
            "core": [{"case": k[1], "alg": k[2], "threads": k[3], "ops_per_sec": v[0], "ops_per_cpu_sec": v[1]}
                     for k, v in res.rates.items() if k[0] == "c"],
            "core_stats": core_meta.get("stats"),
            "node": node,
            "python": python,
        },
    }


def fmt_rate(rate: Rate) -> str:
    return "–" if rate is None else f"{rate:,.0f}"


def fmt_ratio(r: Rate) -> str:
    if r is None:
        return ""
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def fmt_value(unit: str, v: Rate) -> str:
    if v is None:
        return "–"
    if unit == "overhead":
        return f"{v * 100:+.0f} %"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "ops/s":
        return f"{v / 1e6:.2f}M/s" if v >= 1e6 else f"{v / 1e3:.0f}k/s"
    return f"{v:g}"


def markdown(doc: dict[str, Any]) -> str:
    out = []
    out.append("| case | RS256 ops/s | ratio | ratio, CPU | ES256 ops/s | ratio | ratio, CPU | EdDSA ops/s | ratio "
               "| ratio, CPU | ratio is |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in doc["table"]:
        cells = []
        for alg in ALGS:
            c = row["cells"].get(alg)
            if c is None:
                cells += ["", "", ""]
            elif c["ops_per_sec"] is None:
                cells += ["unsupported" if c.get("error") else "–", "", ""]
            else:
                cells += [fmt_rate(c["ops_per_sec"]), fmt_ratio(c["ratio"]), fmt_ratio(c["ratio_cpu"])]
        out.append(f"| {row['label']} | " + " | ".join(cells) + f" | {row['ratio_is']} |")
    out.append("")
    if doc["scaling"]:
        out.append("| scaling (wall clock) | alg | how | 1 thread ops/s | 2 threads ops/s | 2 ÷ 1 | per CPU-s, 1 / 2 "
                   "| cores busy, 1 / 2 |")
        out.append("|---|---|---|---:|---:|---:|---:|---:|")
        for s in doc["scaling"]:
            busy = "–" if s["cores_busy_1"] is None or s["cores_busy_2"] is None else \
                f"{s['cores_busy_1']:.2f} / {s['cores_busy_2']:.2f}"
            out.append(f"| {RUNNER_NAMES[s['runner']]}: {s['case']} | {s['alg']} | {s['how']} | "
                       f"{fmt_rate(s['threads_1'])} | {fmt_rate(s['threads_2'])} | {fmt_ratio(s['ratio'])} | "
                       f"{fmt_rate(s['per_cpu_sec_1'])} / {fmt_rate(s['per_cpu_sec_2'])} | {busy} |")
        out.append("")
    if doc["peak_rss_kb"]:
        out.append("| runner | peak RSS |")
        out.append("|---|---:|")
        for name, kb in doc["peak_rss_kb"].items():
            out.append(f"| {name} | {kb / 1024:.0f} MiB |")
        out.append("")
    ex = doc.get("exchange_codes")
    if ex:
        out.append(f"| exchange codes, create + redeem ({ex['payload_bytes']}-byte payload) | pairs/s, 1 in flight | "
                   f"pairs/s, {ex['concurrency']} in flight | round trips per create / redeem | Redis commands: create; redeem |")
        out.append("|---|---:|---:|---:|---|")
        for r in ex["results"]:
            if "create_round_trips" in r:
                trips = f"{r['create_round_trips']:g} / {r['redeem_round_trips']:g}"
                order = ["set", "setex", "get", "getdel", "del", "eval", "evalsha", "ttl"]

                def listed(d: dict[str, float]) -> str:
                    keys = sorted(d, key=lambda k: order.index(k) if k in order else len(order))
                    return " + ".join(k.upper() + (f" ×{d[k]:g}" if d[k] != 1 else "") for k in keys)
                cmds = f"{listed(r['create_commands'])}; {listed(r['redeem_commands'])}"
            else:
                trips, cmds = "–", "none (in-process)"
            out.append(f"| {r['case']} | {fmt_rate(r['sequential_pairs_per_sec'])} | "
                       f"{fmt_rate(r['concurrent_pairs_per_sec'])} | {trips} | {cmds} |")
        out.append("")
    out.append("| target | from | RS256 | ES256 | EdDSA | met |")
    out.append("|---|---|---:|---:|---:|---|")
    for t in doc["targets"]:
        vals, walls = t["values"], t["wall_values"]
        if t["unit"] == "round trips":
            cells = [f"create {vals.get('create', '–')}, redeem {vals.get('redeem', '–')}", "", ""]
        else:
            cells = []
            for a in ALGS:
                if a not in vals:
                    cells.append("")
                elif walls.get(a) == vals[a] or "wall clock" in t["target"]:
                    cells.append(fmt_value(t["unit"], vals[a]))
                else:
                    cells.append(f"{fmt_value(t['unit'], vals[a])} (wall {fmt_value(t['unit'], walls.get(a))})")
        met = {True: "**met**", False: "**missed**", None: "not measured"}[t["met"]]
        if t["met"] is None and t.get("cores_busy_2") is not None:
            met = f"not judged: the 2 threads got {t['cores_busy_2']:.2f} cores"
        out.append(f"| {t['target']} | {t['source']} | " + " | ".join(cells) + f" | {met} |")
    return "\n".join(out) + "\n"


README_BEGIN = "<!-- make bench: latest run -->"
README_END = "<!-- make bench: end of latest run -->"


def summary(doc: dict[str, Any]) -> str:
    """One paragraph: when, on what, how long."""
    m, v, g = doc.get("machine", {}), doc.get("versions", {}), doc.get("git", {})
    phases = doc.get("phases_seconds", {})
    total = phases.get("total_before_report")
    runners = sum(phases.get(k, 0) for k in ("core", "node", "python", "exchange"))
    return (f"Run of {doc.get('started', '?')} at commit `{g.get('commit', '?')}`"
            f"{' (core or bindings modified)' if g.get('dirty') else ''}: {m.get('cpus', '?')} vCPUs ({m.get('cpu_model', '?')}), "
            f"{m.get('memory_gib', '?')} GiB, load average {m.get('load_average_at_end', '?')} at the end; "
            f"{doc.get('bench_seconds')} s per case in {doc.get('rounds')} interleaved rounds. "
            f"{v.get('core_openssl', '?')} and libsodium {v.get('libsodium', '?')} in the core; Node {v.get('node', '?')} "
            f"(OpenSSL {v.get('node_openssl', '?')}); Python {v.get('python', '?')} with PyJWT {v.get('pyjwt', '?')}, "
            f"joserfc {v.get('joserfc', '?')}, cryptography {v.get('cryptography', '?')}; redis-server {v.get('redis', '?')}. "
            f"`make bench` took {total:.0f} s in all: installing {phases.get('install', 0):.0f} s, building "
            f"{phases.get('build', 0):.0f} s, measuring {runners:.0f} s.\n" if total else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", default="")
    parser.add_argument("--readme", default="", help="also put the tables into this file, between the lines "
                        f"{README_BEGIN!r} and {README_END!r}")
    args = parser.parse_args()
    doc = build(args.raw)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    text = markdown(doc)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text)
    if args.readme:
        with open(args.readme) as fh:
            readme = fh.read()
        begin, end = readme.index(README_BEGIN) + len(README_BEGIN), readme.index(README_END)
        with open(args.readme, "w") as fh:
            fh.write(readme[:begin] + "\n" + summary(doc) + "\n" + text + "\n" + readme[end:])
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
