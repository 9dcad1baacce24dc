"""Hostile legacy text: finding v1 blocks is linear, import is bounded, the server keeps
answering while it imports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from dotscience import v1

from .conftest import create_key, http, responsive_during, start_live, token_auth
from .test_kernel_path import kernel_environment

#: The pattern dotscience 0.8.7 (and this project until now) searched with: the reference
#: for what a block is, cubic on hostile text.
REFERENCE = re.compile(r"\[\[DOTSCIENCE-RUN:(.+?)\]\](.*?)\[\[/DOTSCIENCE-RUN:\1\]\]", re.DOTALL)


def reference_blocks(text: str) -> list[tuple[str, dict]]:
    found = []
    for m in REFERENCE.finditer(text):
        try:
            body = json.loads(m.group(2))
        except (ValueError, RecursionError):
            continue
        if isinstance(body, dict):
            found.append((m.group(1), body))
    return found


FRAGMENTS = st.sampled_from([
    "[[DOTSCIENCE-RUN:", "[[/DOTSCIENCE-RUN:", "]]", "]", "[", "a", "b", "]]]", "{}",
    '{"version": "1"}', "{", "}", "\n", " ", "x]]", "[[DOTSCIENCE-RUN:a]]",
    "[[/DOTSCIENCE-RUN:a]]", "[[DOTSCIENCE-RUN:]]]", "[[/DOTSCIENCE-RUN:]]]",
])  # fmt: skip


@settings(max_examples=600)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_blocks_are_found_exactly_as_the_legacy_pattern_finds_them(text):
    # Given any text made of markers, ids, brackets and JSON pieces
    # When blocks are found
    # Then they are exactly the blocks the legacy pattern finds
    assert v1.find_blocks(text) == reference_blocks(text)


def test_real_blocks_among_noise_are_found_as_before():
    # Given real blocks (uuid ids, indented JSON) between log lines and decoys
    blocks = [(str(uuid.uuid4()), {"version": "1", "summary": {"acc": str(i)}}) for i in range(5)]
    text = "epoch 1 ]] [[ noise\n[[DOTSCIENCE-RUN:decoy]]{}\n"
    for run_id, body in blocks:
        text += "loss 0.3\n" + v1.format_block(run_id, body) + "[[/DOTSCIENCE-RUN:x]]\n"
    # When blocks are found
    # Then every block comes back, in order, as the legacy pattern finds them
    assert v1.find_blocks(text) == blocks == reference_blocks(text)


HOSTILE = {
    "repeated opening": "[[DOTSCIENCE-RUN:a]]",
    "openings without ends": "[[DOTSCIENCE-RUN:",
    "distinct ids": None,  # built below: every opening a different id
    "closings": "[[/DOTSCIENCE-RUN:a]]",
}


def _hostile(kind: str, size: int) -> str:
    if kind == "distinct ids":
        parts, n, length = [], 0, 0
        while length < size:
            parts.append(f"[[DOTSCIENCE-RUN:{n:x}]][[/DOTSCIENCE-RUN:{n + 1:x}]]")
            length += len(parts[-1])
            n += 1
        return "".join(parts)[:size]
    unit = HOSTILE[kind]
    return (unit * (size // len(unit) + 1))[:size]


def _in_subprocess(code: str, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter; a timeout means the scan did not finish."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


#: Hostile text scanned per pattern. A linear scan takes about half a second for this much
#: here (64 MiB took 4 s in make bench); a quadratic one needs hours and the legacy cubic
#: pattern needed 68 s for 20 KB, so the bound below is 40x slack, not a timing target.
HOSTILE_BYTES = 8 << 20
HOSTILE_SECONDS = 20.0


def test_eight_megabytes_of_each_hostile_pattern_are_scanned_in_linear_time():
    # Given 8 MiB of each hostile pattern
    # When blocks are searched in each (in a subprocess: a hang is a failure)
    out = _in_subprocess(
        f"""
        import json, time
        from dotscience import v1
        from tests.security.test_import import HOSTILE, _hostile
        result = {{}}
        for kind in HOSTILE:
            text = _hostile(kind, {HOSTILE_BYTES})
            start = time.perf_counter()
            found = v1.find_blocks(text)
            result[kind] = [time.perf_counter() - start, len(found)]
        print(json.dumps(result))
        """
    )
    # Then each completes, well inside what only a linear scan can do, and finds no block
    for kind, (seconds, found) in json.loads(out).items():
        assert found == 0, kind
        assert seconds < HOSTILE_SECONDS, f"{kind}: {seconds:.1f} s for 8 MiB"


def test_deeply_nested_json_in_a_block_is_skipped_not_a_crash():
    # Given a block whose body nests arrays 100,000 deep, then a good block
    good = v1.format_block("good", {"version": "1"})
    text = "[[DOTSCIENCE-RUN:deep]]" + "[" * 100_000 + "[[/DOTSCIENCE-RUN:deep]]" + good
    # When blocks are found
    # Then the deep one is skipped and the good one is found
    assert v1.find_blocks(text) == [("good", {"version": "1"})]
    # And a notebook that nests too deeply is searched as text, not a crash
    assert v1.searchable_text("[" * 100_000, True) == "[" * 100_000


def test_import_of_hostile_text_keeps_other_clients_answered(live):
    # Given an API key that may import, and 4 MB of the hostile pattern
    key = create_key(live, "importer")["key"]
    text = _hostile("repeated opening", 4 << 20)
    url = live.url + "dotscience/api/import"

    # When it is imported while another client keeps asking the server
    def attack():
        return http("POST", url, {"text": text}, {"Authorization": f"Bearer {key}"}, timeout=120)

    status, body = responsive_during(live, attack)
    # Then the import answers (nothing found) and the other client was answered throughout
    assert (status, body["found"]) == (200, 0), body


def test_an_import_larger_than_the_limit_is_refused_with_413_and_a_sentence(tmp_path):
    # Given a server whose import limit is 100,000 bytes
    (tmp_path / "root").mkdir()
    server = start_live(tmp_path / "root", "--DotscienceApp.max_import_bytes=100000")
    try:
        run_id = str(uuid.uuid4())
        block = v1.format_block(run_id, {"version": "1"})
        # When a text and a workspace file over the limit are imported
        big = block + "x" * 100_001
        status, body = http(
            "POST", server.url + "dotscience/api/import", {"text": big}, token_auth(server)
        )
        (tmp_path / "root" / "big.log").write_text(big)
        f_status, f_body = http(
            "POST", server.url + "dotscience/api/import", {"path": "big.log"}, token_auth(server)
        )
        # Then both are refused with 413 and a sentence naming the limit
        assert status == 413 and "100000" in body["error"], body
        assert f_status == 413 and "100000" in f_body["error"], f_body
        # And nothing was stored
        _, runs = http("GET", server.url + "dotscience/api/runs", headers=token_auth(server))
        assert runs["runs"] == []
        # And a text within the limit is imported
        status, body = http(
            "POST", server.url + "dotscience/api/import", {"text": block}, token_auth(server)
        )
        assert (status, body["runs"]) == (200, [run_id]), body
    finally:
        server.stop()


def test_a_block_that_is_not_a_valid_run_is_a_400_not_a_500(live):
    # Given a legacy block whose fields have the wrong types
    bad = v1.format_block(str(uuid.uuid4()), {"version": "1", "input": 5})
    # When it is imported
    status, body = http("POST", live.url + "dotscience/api/import", {"text": bad}, token_auth(live))
    # Then the answer is a 400 with a sentence, not an internal error
    assert status == 400 and body["error"], body


def test_only_a_jupyter_login_imports_a_server_file_and_a_project_key_imports_nothing(live):
    # Given a workspace file holding a v1 block, an API key of alice's, a key limited to one
    # project, and the kernel's publish token
    run_id = str(uuid.uuid4())
    (live.root / "old.log").write_text(v1.format_block(run_id, {"version": "1"}))
    url = live.url + "dotscience/api/import"
    key = create_key(live, "importer")["key"]
    limited = create_key(live, "one-project", project="p-" + uuid.uuid4().hex[:8])["key"]
    kernel_token = kernel_environment(live)["DOTSCIENCE_TOKEN"]
    # When the API key names the server file, or a name no file can have
    for path in ("old.log", "n" * 300):
        status, body = http("POST", url, {"path": path}, {"Authorization": f"Bearer {key}"})
        # Then it is refused before the path is looked at: a key imports only a text
        assert status == 403 and "only a text" in body["error"], body
    # And the project-limited key may import neither the file nor its text
    for body in ({"path": "old.log"}, {"text": (live.root / "old.log").read_text()}):
        status, answer = http("POST", url, body, {"Authorization": f"Bearer {limited}"})
        assert status == 403 and "limited to one project" in answer["error"], answer
    # And the kernel token may only publish
    status, answer = http("POST", url, {"path": "old.log"},
                          {"Authorization": f"token {kernel_token}"})  # fmt: skip
    assert status == 403, answer
    # And none of them imported the run
    assert http("GET", f"{live.url}dotscience/api/runs/{run_id}", None, token_auth(live))[0] == 404
