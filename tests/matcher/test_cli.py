"""``tunebridge match rank`` honours its contract exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CASES = [
    {
        "id": "a",
        "source": {
            "title": "Hey Jude",
            "artists": ["The Beatles"],
            "album": None,
            "duration_ms": 431000,
            "isrc": None,
            "explicit": None,
        },
        "candidates": [
            {
                "id": "live",
                "title": "Hey Jude (Live)",
                "artists": ["The Beatles"],
                "album": None,
                "duration_ms": 470000,
                "isrc": None,
                "explicit": None,
                "kind": "video",
                "views": 10,
            },
            {
                "id": "studio",
                "title": "Hey Jude",
                "artists": ["The Beatles"],
                "album": "Hey Jude",
                "duration_ms": 431333,
                "isrc": None,
                "explicit": None,
                "kind": "song",
                "views": None,
                "thumbnail": "ignored",
            },
        ],
        "extra": "unknown fields are ignored",
    },
    {
        "id": "b",
        "source": {"title": "Stay", "artists": ["Rihanna"]},
        "candidates": [{"id": "zedd", "title": "Stay", "artists": ["Zedd"]}],
    },
    {"id": "c", "source": {"title": "Nothing"}, "candidates": []},
]


def run(tmp_path: Path, lines: list[str], *args: str) -> tuple[int, list[dict], str]:
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "match",
            "rank",
            "--input",
            str(source),
            "--output",
            str(target),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = [json.loads(line) for line in target.read_text().splitlines()]
    return result.returncode, out, result.stderr


def test_output_lines_follow_the_contract_in_input_order(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, [json.dumps(case) for case in CASES])
    assert code == 0
    assert [line["id"] for line in out] == ["a", "b", "c"]
    for line in out:
        assert set(line) == {"id", "decision", "best", "ranked"}
        confidences = [r["confidence"] for r in line["ranked"]]
        assert confidences == sorted(confidences, reverse=True)
        assert all(
            set(r) == {"id", "confidence"} and 0 <= r["confidence"] <= 1 for r in line["ranked"]
        )
    assert out[0]["decision"] == "auto" and out[0]["best"] == "studio"
    assert [r["id"] for r in out[0]["ranked"]] == ["studio", "live"]
    assert out[1]["decision"] == "none" and out[1]["best"] is None
    assert out[2] == {"id": "c", "decision": "none", "best": None, "ranked": []}


def test_explain_adds_the_feature_breakdown(tmp_path: Path) -> None:
    _, out, _ = run(tmp_path, [json.dumps(CASES[0])], "--explain")
    live = next(r for r in out[0]["ranked"] if r["id"] == "live")
    features = {e["feature"]: e for e in live["explain"]}
    assert features["version"]["value"] == "live" and features["version"]["contribution"] < 0


def test_bad_lines_are_named_and_the_rest_still_processed(tmp_path: Path) -> None:
    lines = [
        json.dumps(CASES[0]),
        "{not json",
        json.dumps({"id": "x", "source": {}}),
        json.dumps(CASES[1]),
    ]
    code, out, errors = run(tmp_path, lines)
    assert [line["id"] for line in out] == ["a", "b"]
    assert "line 2:" in errors and "line 3:" in errors and "title" in errors
    assert code == 1


def test_untidy_but_readable_input_is_accepted(tmp_path: Path) -> None:
    case = {
        "id": 7,
        "source": {"title": "Hello", "artists": "Adele", "duration_ms": 295000.4},
        "candidates": [{"id": 1, "title": "Hello", "artists": ["Adele"], "duration_ms": 295000}],
    }
    code, out, errors = run(tmp_path, [json.dumps(case)])
    assert code == 0, errors
    assert out == [
        {
            "id": 7,
            "decision": "auto",
            "best": 1,
            "ranked": [{"id": 1, "confidence": out[0]["ranked"][0]["confidence"]}],
        }
    ]


def test_stdin_and_stdout_work_as_files() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "match", "rank", "--input", "-"],
        input=json.dumps(CASES[1]) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["id"] == "b"
