"""Markdown tables from the benchmark's JSON results (the same tables bench/README.md shows)."""
from __future__ import annotations

__all__ = ["markdown", "targets", "TORCH_ABSENT_NOTE"]

TORCH_ABSENT_NOTE = "**torch is not installed**: its columns read `absent`."


def _net(sizes) -> str:
    return "-".join(str(s) for s in sizes)


def _rate(x) -> str:
    if x is None:
        return "absent"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _ratio(r) -> str:
    if r is None:
        return "absent"
    return f"**{r['median']:.2f}x** ({r['q25']:.2f}-{r['q75']:.2f})"


def _met(flag) -> str:
    return {True: "MET", False: "NOT MET", None: "n/a (torch absent)"}[flag]


def _time(seconds, missing="absent") -> str:
    if seconds is None:
        return missing
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def _training(res) -> list[str]:
    rows = res["rows"]
    out = ["### 1. Training step (steps per second; ratio = our steps/s over theirs, median of "
           "per-round ratios, IQR in brackets)", ""]
    if not res["torch_available"]:
        out += [TORCH_ABSENT_NOTE, ""]
    out += ["ours is the fast path (`fast.py`), which `Trainer` uses by default; textbook path is "
            "`Trainer(..., fast=False)`, the reference a learner reads (`MLP.loss`, `MLP.backward`, "
            "`optim`); textbook numpy is a plain step written in the benchmark.", "",
            "| net | batch | dtype | ours | textbook path | torch | textbook numpy | ours / torch | target | "
            "textbook path / torch | ours / numpy |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in rows:
        t = r["timings"]
        torch_rate = t["torch"]["per_second"] if "torch" in t else None
        textbook_rate = t["textbook"]["per_second"] if "textbook" in t else None
        out.append(f"| {_net(r['layer_sizes'])} | {r['batch']} | {r['dtype']} | "
                   f"{_rate(t['ours']['per_second'])} | {_rate(textbook_rate)} | {_rate(torch_rate)} | "
                   f"{_rate(t['numpy']['per_second'])} | {_ratio(r['ratios'].get('ours/torch'))} | "
                   f">= {r['target_vs_torch']:g}x: {_met(r['met_vs_torch'])} | "
                   f"{_ratio(r['ratios'].get('textbook/torch'))} | "
                   f"{_ratio(r['ratios']['ours/numpy'])} |")
    big = [r for r in rows if "matmuls" in r["timings"]]
    if big:
        out += ["", "Matrix products alone (the step's floor in numpy: forward and backward products "
                "into preallocated arrays, first layer's dX skipped) vs our whole step:", "",
                "| net | batch | dtype | matmuls | products per step | ours | ours / matmuls | target |",
                "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
        for r in big:
            t = r["timings"]
            out.append(f"| {_net(r['layer_sizes'])} | {r['batch']} | {r['dtype']} | "
                       f"{_rate(t['matmuls']['per_second'])} | {r['num_matmuls']} | "
                       f"{_rate(t['ours']['per_second'])} | {_ratio(r['ratios']['ours/matmuls'])} | "
                       f">= {r['target_matmul_fraction']:.0%}: {_met(r['met_matmul_fraction'])} |")
    return out


def _gradcheck(res) -> list[str]:
    out = ["### 2. Gradient checking (median over rounds; the fastest round shows the cost on an idle "
           "machine more closely, the verdict uses the median)", ""]
    if not res["torch_available"]:
        out += [TORCH_ABSENT_NOTE, ""]
    d = res["directional"]
    out += [f"(a) Directional check, {d['net']} batch {d['batch']} float64, {d['num_params']:,} "
            f"parameters, {d['num_directions']} directions per call:", ""]
    out += ["| contender | passed | time per call | time per direction | fastest round | "
            "target (per direction) |",
            "| --- | --- | ---: | ---: | ---: | --- |"]
    for name in ("ours", "torch"):
        c = d["contenders"].get(name)
        label = {"ours": "check_gradient_directional",
                 "torch": "torch.autograd.gradcheck(fast_mode=True)"}[name]
        if c is None:
            out.append(f"| {label} | absent | absent | absent | absent | |")
            continue
        tgt = f"<= {d['target_s'] * 1e3:g} ms: {_met(d['met'])}" if name == "ours" else ""
        ok = d["ours_passed"] if name == "ours" else d["torch_passed"]
        out.append(f"| {label} | {'yes' if ok else 'NO'} | {_time(c['per_call_s'])} | "
                   f"{_time(c['per_direction_s'])} | {_time(c.get('fastest_per_direction_s'), missing='-')} | {tgt} |")
    if d.get("ratio") is not None:
        out += ["", f"Per direction, ours is {_ratio(d['ratio'])} as fast as torch's fast mode "
                "(paired rounds)."]
    e = res["elementwise"]
    out += ["", "(b) Elementwise check, cost per parameter checked (float64):", "",
            "| contender | function | parameters checked | passed | time per call | "
            "time per parameter | fastest round | target (per parameter) |",
            "| --- | --- | ---: | --- | ---: | ---: | ---: | --- |"]
    notes = []
    for c in e["rows"]:
        per = c.get("per_param_s")
        tgt = ""
        if c["who"] == "ours":
            tgt = f"<= {e['target_s'] * 1e6:g} us: " + (_met(c.get("met")) if per is not None
                                                       else "not measured")
        if per is None:
            word = c["status"].split(":")[0].split(" (")[0].split(" in ")[0]
            notes.append(c["status"])
            call = each = ok = fastest = word
            if word == "skipped":
                tgt = ""
        else:
            call, each = _time(c["per_call_s"]), _time(per)
            fastest = _time(c.get("fastest_per_param_s"), missing="-")
            ok = "yes" if c.get("passed") else "NO"
        count = f"{c['num_params']:,}" if c["num_params"] else ""
        out.append(f"| {c['label']} | {c['function']} | {count} | {ok} | {call} | {each} | {fastest} | "
                   f"{tgt} |")
    for c in e["rows"]:
        r = c.get("per_param_ratio_vs_torch")
        if r is not None:
            out += ["", f"Per parameter checked, on {c['function'].split(',')[0]}, ours is "
                    f"{_ratio(r)} as fast as torch's elementwise gradcheck (paired rounds)."]
    for note in dict.fromkeys(notes):
        out += ["", f"_{note}._"]
    return out


def _fd(res) -> list[str]:
    dts = list(res["dtypes"])
    out = [f"### 3. Accuracy of finite differences: {res['function']} at x = {res['x0']}, "
           "relative error of the derivative", "",
           "| h | " + " | ".join(f"{m} {dt}" for dt in dts for m in ("forward", "central", "complex"))
           + " |", "| ---: |" + " ---: |" * (3 * len(dts))]
    for i, h in enumerate(res["h"]):
        cells = []
        for dt in dts:
            e = res["dtypes"][dt]["errors"]
            for m in ("forward", "central", "complex_step"):
                best = res["dtypes"][dt]["best"][m]
                v = f"{e[m][i]:.1e}"
                cells.append(f"**{v}**" if best["h"] == h else v)
        out.append(f"| {h:.0e} | " + " | ".join(cells) + " |")
    out += ["", "Best h (bold above): " + "; ".join(
        f"{dt}: forward {b['forward']['h']:.0e} ({b['forward']['error']:.1e}), central "
        f"{b['central']['h']:.0e} ({b['central']['error']:.1e}), complex step "
        f"{b['complex_step']['h']:.0e} ({b['complex_step']['error']:.1e})"
        for dt, b in ((dt, res["dtypes"][dt]["best"]) for dt in dts)) + ".",
        f"Errors computed by `{res['source']}`."]
    return out


def targets(results: dict) -> list[str]:
    """One line per target: what was measured, the target, MET or NOT MET."""
    out = ["| target | measured | verdict |", "| --- | ---: | --- |"]
    sec = results["sections"]
    if "training" in sec:
        for r in sec["training"]["result"]["rows"]:
            what = f"{_net(r['layer_sizes'])} batch {r['batch']} {r['dtype']}"
            t = r["ratios"].get("ours/torch")
            out.append(f"| training step {what}: ours >= {r['target_vs_torch']:g}x torch's steps/s | "
                       f"{'absent' if t is None else format(t['median'], '.2f') + 'x'} | "
                       f"{_met(r['met_vs_torch'])} |")
            if "target_matmul_fraction" in r:
                f = r["ratios"]["ours/matmuls"]["median"]
                out.append(f"| training step {what}: ours >= {r['target_matmul_fraction']:.0%} of "
                           f"the matmuls-alone speed | {f:.0%} | {_met(r['met_matmul_fraction'])} |")
    if "gradcheck" in sec:
        g = sec["gradcheck"]["result"]
        d = g["directional"]
        per = d["contenders"]["ours"]["per_direction_s"]
        out.append(f"| directional check, {d['net']} batch {d['batch']}: <= "
                   f"{d['target_s'] * 1e3:g} ms per direction | {_time(per)} | {_met(d['met'])} |")
        e = g["elementwise"]
        for c in e["rows"]:
            if c["who"] != "ours":
                continue
            label = f"elementwise check, {c['function'].split(',')[0]}: <= {e['target_s'] * 1e6:g} us " \
                    "per parameter"
            if c.get("per_param_s") is None:
                out.append(f"| {label} | {c['status'].split(':')[0].split(' (')[0]} | "
                           "not measured |")
            else:
                out.append(f"| {label} | {_time(c['per_param_s'])} | {_met(c['met'])} |")
    return out


def markdown(results: dict) -> str:
    """All the tables present in ``results`` (a dict as written to latest.json)."""
    m = results["machine"]
    lines = [f"Machine: {m['cpu']}, {m['logical_cores']} logical cores; Python {m['python']}, numpy "
             f"{m['numpy']} (BLAS: {m['numpy_blas']}), torch {m['torch'] or 'absent'}"
             f"{' (BLAS: ' + m['torch_blas'] + ')' if m.get('torch_blas') else ''}; one thread each "
             f"({m['threads']}).", "", "### Targets", ""] + targets(results) + [""]
    sections = results["sections"]
    for name, fmt in (("training", _training), ("gradcheck", _gradcheck), ("fd_accuracy", _fd)):
        if name in sections:
            s = sections[name]
            lines += fmt(s["result"])
            load = s.get("load_average_1min")
            load = f", 1-min load average {load[0]:g} before, {load[1]:g} after" if load else ""
            lines += ["", f"_Command: `{s['command']}` ({s['mode']} mode, {s['date']}, "
                      f"{s['seconds']:.0f} s{load})._", ""]
    return "\n".join(lines)
