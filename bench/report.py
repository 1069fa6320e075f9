"""The targets of issue 8, the ratios to the floors and to django-helpdesk, and the table."""

# figure: (statistic, "<=" or ">=", value) — the targets at 1M cases on PostgreSQL.
TARGETS = {
    "queue_manager": ("p95", "<=", 50),
    "queue_village": ("p95", "<=", 50),
    "api_list": ("p95", "<=", 25),
    "case_page": ("p95", "<=", 60),
    "registration": ("rate", ">=", 150),
    "dashboard": ("p95", "<=", 300),
    "overdue_board": ("p95", "<=", 300),
    "assessment_year": ("median", "<=", 5000),
    "ledger_export": ("seconds", "<=", 20),
    "agreement_pdf": ("p95", "<=", 150),
    "due_dates": ("rate", ">=", 100_000),
    "portal_search": ("p95", "<=", 50),
}
# Our figure over its floor (median over median): how much the application adds.
FLOORS = {
    "queue_manager": "queue_manager_sql",
    "queue_village": "queue_village_sql",
    "api_list": "api_list_sql",
}
# (ours, theirs, statistic, better): the ratio is reported as "times better".
HELPDESK = {
    "api_list": ("list", "median", "lower"),
    "queue_manager": ("list", "median", "lower"),
    "case_page": ("ticket_page", "median", "lower"),
    "dashboard": ("dashboard", "median", "lower"),
    "registration": ("create", "rate", "higher"),
}


def _value(figure: dict | None, statistic: str):
    if not figure:
        return None
    return figure.get(statistic)


def compare(results: dict) -> None:
    figures = results["figures"]
    helpdesk = results.get("helpdesk", {}).get("figures", {})
    for key, figure in figures.items():
        target = TARGETS.get(key)
        if target:
            statistic, op, limit = target
            value = _value(figure, statistic)
            figure["target"] = f"{statistic} {op} {limit}"
            if value is not None:
                figure["meets_target"] = value <= limit if op == "<=" else value >= limit
        floor = FLOORS.get(key)
        if floor and figures.get(floor, {}).get("median"):
            figure["ratio_to_sql_floor"] = round(figure["median"] / figures[floor]["median"], 1)
        if key in HELPDESK and helpdesk:
            theirs_key, statistic, better = HELPDESK[key]
            ours, theirs = _value(figure, statistic), _value(helpdesk.get(theirs_key), statistic)
            if ours and theirs:
                figure["times_better_than_helpdesk"] = round(
                    theirs / ours if better == "lower" else ours / theirs, 1
                )
    api, framework = figures.get("api_list"), figures.get("api_list_framework_floor")
    if api and framework and framework.get("p95"):
        api["ratio_to_framework_floor"] = round(api["p95"] / framework["p95"], 2)
        api["meets_framework_target"] = api["ratio_to_framework_floor"] <= 2
    ledger = figures.get("ledger_export")
    if ledger and "rss_growth_mb" in ledger:
        ledger["meets_memory_target"] = ledger["rss_growth_mb"] <= 150
    reg, theirs = figures.get("registration"), helpdesk.get("create")
    if reg and theirs and theirs.get("rate"):
        reg["meets_helpdesk_target"] = reg["rate"] >= 2 * theirs["rate"]
    dash, theirs = figures.get("dashboard"), helpdesk.get("dashboard")
    if dash and theirs and theirs.get("median"):
        dash["meets_helpdesk_target"] = theirs["median"] >= 100 * dash["median"]


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(results: dict, out) -> None:
    gen = results.get("generation", {})
    out("")
    out(
        f"bangban bench — {results['scale']:,} cases on {results['database']}, "
        f"{results['machine']['cpus']} CPUs, {results['requests_per_figure']} requests per figure"
        + (f"; generated in {gen['seconds']} s" if "seconds" in gen else "")
    )
    headers = [
        "figure",
        "median",
        "p95",
        "rate/s",
        "queries",
        "target",
        "met",
        "vs floor",
        "vs helpdesk",
    ]
    rows = []
    for key, f in results["figures"].items():
        extra = ""
        if key == "ledger_export":
            extra = f"{f['rows']:,} rows {f['seconds']} s +{f['rss_growth_mb']} MB"
        vs_floor = f.get("ratio_to_sql_floor")
        if key == "api_list" and "ratio_to_framework_floor" in f:
            vs_floor = f"{vs_floor}× SQL, {f['ratio_to_framework_floor']}× DRF"
        elif vs_floor is not None:
            vs_floor = f"{vs_floor}× SQL"
        rows.append(
            [
                key,
                extra or _cell(f.get("median")),
                _cell(f.get("p95")),
                _cell(f.get("rate")),
                _cell(f.get("queries")),
                f.get("target", ""),
                _cell(f.get("meets_target")),
                _cell(vs_floor),
                _cell(
                    f"{f['times_better_than_helpdesk']}× better"
                    if "times_better_than_helpdesk" in f
                    else None
                ),
            ]
        )
    helpdesk = results.get("helpdesk", {})
    for key, f in helpdesk.get("figures", {}).items():
        rows.append(
            [
                f"helpdesk.{key}",
                _cell(f.get("median")),
                _cell(f.get("p95")),
                _cell(f.get("rate")),
                _cell(f.get("queries")),
                "",
                "",
                "",
                "",
            ]
        )
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    out("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        out("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    out("times in ms unless the figure says otherwise")
