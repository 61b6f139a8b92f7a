"""The sweep benchmark's results (Run) and the tables it prints of them."""

from collections import Counter
from dataclasses import dataclass, field

from bench.harness import shape


@dataclass
class Run:
    job: str
    size: str
    statements: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    follow_ups: int = 0  # follow-ups in the table when the job started
    notifications: int = 0
    home_visits: int = 0
    returned: dict = field(default_factory=dict)
    peak_mb: float | None = None  # the process's peak resident memory above its start

    @property
    def processed(self) -> int:
        """Follow-ups the job acted on: reminders, escalations or digests, home visits."""
        return self.notifications + self.home_visits

    @property
    def ms_per_processed(self) -> float | None:
        return self.seconds * 1000 / self.processed if self.processed else None

    @property
    def skipped(self) -> bool:
        return bool(self.returned.get("skipped"))

    @property
    def count(self) -> int:
        return len(self.statements)


def rate(n: int, run: Run) -> str:
    return "-" if run.skipped else f"{n / run.seconds:,.0f}"


def print_table(runs: list[Run], coordinators: dict[str, int]) -> None:
    width = max(len(r.job) for r in runs)
    sw = max(5, *(len(r.size) for r in runs))
    print(
        f"{'job':<{width}} | {'size':<{sw}} | statements | seconds | follow-ups/s | "
        "notifications created | notifications/s | home visits created | ms per processed "
        "| peak MB"
    )
    print(
        f"{'-' * width}-|-{'-' * sw}-|------------|---------|--------------|-"
        "----------------------|-----------------|---------------------|------------------"
        "|--------"
    )
    labels = list(dict.fromkeys(r.job for r in runs))
    by = {(r.job, r.size): r for r in runs}
    sizes = list(dict.fromkeys(r.size for r in runs))
    for label in labels:
        for size in sizes:
            r = by[label, size]
            per = "-" if r.ms_per_processed is None else f"{r.ms_per_processed:.4f}"
            peak = "-" if r.peak_mb is None else f"{r.peak_mb:.1f}"
            print(
                f"{label:<{width}} | {size:<{sw}} | {r.count:>10} | {r.seconds:7.3f} | "
                f"{rate(r.follow_ups, r):>12} | {r.notifications:>21,} | "
                f"{rate(r.notifications, r):>15} | {r.home_visits:>19,} | {per:>16} "
                f"| {peak:>6}"
            )
    print()
    small, large = sizes
    print(f"Statements per run, {small} -> {large}:")
    for label in labels:
        a, b = by[label, small], by[label, large]
        if a.count == b.count:
            print(f"  {label:<{width}}  constant")
            continue
        print(f"  {label:<{width}}  GROWS: {a.count} -> {b.count}")
        extra = Counter(shape(s) for s, _ in b.statements) - Counter(
            shape(s) for s, _ in a.statements
        )
        for sql, n in extra.most_common(3):
            print(f"      +{n} × {sql[:140]}")
        if label == "weekly_digest":
            more = coordinators[large] - coordinators[small]
            print(
                f"      coordinators with provinces: {coordinators[small]} -> "
                f"{coordinators[large]} (+{more}), statements +{b.count - a.count}: one "
                "digest INSERT per coordinator (notify.notify in a loop). It grows with "
                "coordinators, not with follow-ups or groups."
            )
    print(f"\nTargets for daily_sweep, {small} -> {large}:")
    a, b = by["daily_sweep", small], by["daily_sweep", large]
    verdicts = ["statements constant" if a.count == b.count else "statements GROW (missed)"]
    if a.ms_per_processed and b.ms_per_processed:
        growth = b.ms_per_processed / a.ms_per_processed
        verdicts.append(
            f"time per follow-up processed {a.ms_per_processed:.4f} -> "
            f"{b.ms_per_processed:.4f} ms, ×{growth:.2f} "
            + ("(≤ 1.5: ok)" if growth <= 1.5 else "(> 1.5: missed)")
        )
    if a.peak_mb is not None and b.peak_mb is not None:
        more = b.peak_mb - a.peak_mb
        verdicts.append(
            f"peak memory {a.peak_mb:.1f} -> {b.peak_mb:.1f} MB, +{more:.1f} MB "
            + ("(< 20: ok)" if more < 20 else "(≥ 20: missed)")
        )
    for verdict in verdicts:
        print(f"  {verdict}")
    print("\nWhat each job returned, against the rows counted in the tables:")
    for r in runs:
        if r.skipped:
            continue
        expected = {
            "daily_sweep": {"home_visits": r.home_visits, "reminders": r.notifications},
            "escalate_overdue": {"escalated": r.notifications},
            "weekly_digest": {"digests": r.notifications},
        }[r.job]
        verdict = "agrees" if r.returned == expected else f"WRONG: counted {expected}"
        print(f"  {r.job:<{width}} {r.size:<5}  returned {r.returned}  {verdict}")
    print(f"\nSlowest statement of each run ({large}):")
    for label in labels:
        r = by[label, large]
        if r.statements:
            sql, seconds = max(r.statements, key=lambda s: s[1])
            print(f"  {label:<{width}} {seconds * 1000:8.1f} ms  {sql[:120]}")


def print_sql(runs: list[Run]) -> None:
    for r in runs:
        print(f"\n{r.job} ({r.size}): {r.returned}")
        grouped: dict[str, list[float]] = {}
        for sql, seconds in r.statements:
            grouped.setdefault(sql, []).append(seconds)
        for sql, times in grouped.items():
            print(f"  {len(times):>3} × {sum(times) * 1000:9.1f} ms  {shape(sql)[:160]}")
