"""Benchmark the reader against the floor ``yaml.load(text, Loader=yaml.CSafeLoader)``.

Not collected by pytest (the name does not start with ``test_``).  Run::

    .venv/bin/python tests/read/bench_reader.py [repeats]

Two realistic cadre files (DESIGN §3, 100 youth entries of 7 keys, ~720 lines): a plain one,
and one whose intro contains Markdown bold, a URL with ``&``, full-width punctuation and
U+3000 paragraph indents — text that opens the cheap gates, so the slip line scan (over the
intro section) and the anchor/tag event scan (over the whole file) really run.  Both parsers get the same text; the result of ours is
checked against CBaseLoader (all strings) so the comparison is of equal work.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zhilian.read import fast, parse_yaml


def cadre_text(tricky: bool) -> str:
    lines = [
        "# 团干部信息",
        "name: 王晓明",
        "level: 校级",
        "appointment: 专职",
        "title: 校团委副书记",
        "since: 2024-09-01",
        "github: wangxm",
        "contact:",
        "  consent_on: 2024-09-01",
        '  phone: "0358-3389036"',
        "  email: wxm@example.edu.cn",
        "  wechat: wxm_tuanwei",
        '  qq: "123456789"',
        "  weibo: https://weibo.com/u/1234567" + ("?from=a&lang=zh" if tricky else ""),
        "  office: 行政楼 305",
        "intro: |",
        "  欢迎同学们随时联系我。",
    ]
    if tricky:
        lines += [
            "  \u3000\u3000办公时间：周一至周五，地点：行政楼 305；",
            "  * 学业困惑 & 生活困难都可以来聊！",
            "  **欢迎** 常来坐坐。",  # ` *` + name: could be an alias, so the event scan runs
        ]
    lines += [
        "units:",
        "  committees: [math, chem, cs]",
        "  branches: [cs-2023-1, math-2024-2]",
        "  dorm_groups: [n3-402, n3-403]",
        "youth:",
    ]
    for i in range(100):
        lines += [
            f'  - id: "2023{i:06d}"',
            f"    name: 李明{i}",
            "    branch: cs-2023-1",
            "    political_status: 共青团员",
            "    family: 农村",
            "    dorm_group: n3-402",
            "    since: 2025-09-15",
        ]
    return "\n".join(lines) + "\n"


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Best of three, in CPU seconds (steadier than wall time on a shared machine)."""
    fn()  # warm up
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(repeats):
            fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for label, tricky in (("plain cadre file", False), ("intro opens the gates", True)):
        text = cadre_text(tricky)
        value, diags = parse_yaml(text, "bench.yml")
        assert not diags, diags
        assert value == yaml.load(text, Loader=yaml.CBaseLoader)
        floor = timed(lambda t=text: yaml.load(t, Loader=yaml.CSafeLoader), repeats)
        ours = timed(lambda t=text: parse_yaml(t, "bench.yml"), repeats)
        saved, fast.ryml = fast.ryml, None  # the libyaml path alone, without the express lane
        try:
            careful = timed(lambda t=text: parse_yaml(t, "bench.yml"), repeats)
        finally:
            fast.ryml = saved
        size = len(text.encode()) * repeats / 1e6
        print(f"{label}: {text.count(chr(10))} lines, {repeats} repeats ({size:.1f} MB)")
        print(f"  yaml.load(CSafeLoader):       {floor:7.3f} s CPU")
        print(
            f"  parse_yaml, libyaml path:     {careful:7.3f} s CPU  ({floor / careful:.2f}x as fast)"
        )
        lane = "rapidyaml lane" if saved is not None else "no rapidyaml  "
        print(f"  parse_yaml, {lane}:   {ours:7.3f} s CPU  ({floor / ours:.2f}x as fast)")


if __name__ == "__main__":
    main()
