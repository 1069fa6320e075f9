"""Prints the search relevance share at the end of a test run (registered in tests/conftest.py).

The relevance test in test_search.py records its result here; nothing is printed when it did
not run."""

RESULT: dict[str, object] = {}


def record(*, hits: int, total: int, required: float, misses: list[str]) -> None:
    RESULT.update(hits=hits, total=total, required=required, misses=misses)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULT:
        return
    hits, total, required = RESULT["hits"], RESULT["total"], RESULT["required"]
    share = hits / total if total else 0.0
    terminalreporter.write_line(
        f"检索相关性：前3名命中 {hits}/{total} = {share:.1%}（要求 ≥ {required:.0%}）"
    )
    for miss in RESULT["misses"]:
        terminalreporter.write_line(f"  未进前3：{miss}")
