"""``QUERYSIGHT["CAPTURE_FILE"]``: every query of a scope as a JSON line, which
``querysight logs`` reads back (one implementation of the fingerprint and the detector)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core import checks
from django.test import override_settings

from querysight import capture_file
from rtapp.models import Post

REPO = Path(__file__).resolve().parents[2]


def logs(*argv):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "querysight", "logs", *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_captured_queries_are_read_back_by_querysight_logs(people, watch, tmp_path):
    path = tmp_path / "queries.jsonl"
    with override_settings(QUERYSIGHT={"CAPTURE_FILE": str(path)}):
        with watch(name="GET /posts/") as s:
            names = [post.author.name for post in Post.objects.all()]
    capture_file.close_all()
    assert len(names) == 6
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == s.query_count == 7  # the posts, then one author per post
    author_loads = [line for line in lines if line.get("relation") == "rtapp.Post.author"]
    assert len(author_loads) == 6
    assert {line["call_site"] for line in author_loads} == {lines[1]["call_site"]}
    assert all(line["scope"] == lines[0]["scope"] and line["scope"].startswith("GET /posts/#") for line in lines)
    assert all(isinstance(line["params"], list) and line["duration_us"] >= 0 for line in lines)

    result = logs("--output", "json", str(path))
    assert result.returncode == 1, result.stderr  # findings
    report = json.loads(result.stdout)
    assert report["format"] == "jsonl"
    (burst,) = report["bursts"]
    assert burst["queries"] == 6
    assert burst["worst"]["distinct_params"] == 3  # three authors, two posts each


def test_a_bad_capture_file_setting_is_a_system_check_error(tmp_path):
    with override_settings(QUERYSIGHT={"CAPTURE_FILE": 3}):
        ids = [m.id for m in checks.run_checks() if m.id.startswith("querysight.")]
    assert "querysight.E007" in ids
    with override_settings(QUERYSIGHT={"CAPTURE_FILE": str(tmp_path / "missing" / "q.jsonl")}):
        ids = [m.id for m in checks.run_checks() if m.id.startswith("querysight.")]
    assert "querysight.E007" in ids
    with override_settings(QUERYSIGHT={"CAPTURE_FILE": str(tmp_path / "q.jsonl")}):
        ids = [m.id for m in checks.run_checks() if m.id.startswith("querysight.")]
    assert "querysight.E007" not in ids


def test_an_unwritable_capture_file_never_reaches_the_application(people, watch, tmp_path, caplog):
    target = tmp_path / "a-directory"
    target.mkdir()
    with override_settings(QUERYSIGHT={"CAPTURE_FILE": str(target)}):
        with watch() as s:
            names = [post.author.name for post in Post.objects.all()]
    capture_file.close_all()
    assert len(names) == 6 and s.query_count == 7
    assert [f.relation for f in s.findings if f.kind == "n_plus_one"] == ["rtapp.Post.author"]
    assert "cannot write the capture file" in caplog.text
