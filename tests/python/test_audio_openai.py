"""The official `openai` package against the transcribe component, unchanged: the built wasm
under `spin-harness`, the fixture Whisper model pushed with `sawt models push` through the admin
component, as an operator would. The Rust e2e tests (tests/harness/tests/transcribe.rs) prove
the wasm answers equal the native core's; these prove the SDK's own requests and parsing work,
and that every response format carries the same transcript.
"""

import json
import re
import subprocess

import openai
import pytest

from conftest import REPO, binary, start_harness, stop

ADMIN = "python-admin-token"
CLIENT_KEY = "sk-sawt-python-client"
FIXTURES = REPO / "tests" / "fixtures" / "whisper"
SPEECH = FIXTURES / "audio" / "speech_16k_s16_mono.wav"


def push(url, token=ADMIN):
    return subprocess.run(
        [
            binary("sawt"),
            "models",
            "push",
            str(FIXTURES / "model"),
            "--name",
            "whisper-tiny",
            "--url",
            url,
            "--retries",
            "0",
        ],
        env={"SAWT_ADMIN_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def app():
    proc, url = start_harness(
        {
            "openrouter_api_key": "unused",
            "admin_token": ADMIN,
            "api_keys": CLIENT_KEY,
        }
    )
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def client(app):
    return openai.OpenAI(base_url=app + "/v1", api_key=CLIENT_KEY, max_retries=0)


@pytest.fixture(scope="module")
def pushed(app):
    done = push(app)
    assert done.returncode == 0, done.stderr
    return done


def test_before_the_push_the_sdk_gets_503_with_the_command(client):
    # Module order: this runs before any test that asks for `pushed`.
    with pytest.raises(openai.InternalServerError) as err:
        client.audio.transcriptions.create(model="whisper-1", file=SPEECH.open("rb"))
    assert err.value.status_code == 503
    assert "sawt models push" in err.value.message


def test_a_wrong_admin_token_cannot_push(app):
    done = push(app, token="wrong")
    assert done.returncode != 0
    assert "401" in done.stderr


def test_every_format_carries_the_same_transcript(client, pushed):
    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=SPEECH.open("rb"), response_format="verbose_json"
    )
    assert verbose.language == "arabic"
    assert verbose.duration == pytest.approx(4.5266875)
    assert verbose.segments, "no segments"
    text = verbose.text
    assert text == "".join(s.text for s in verbose.segments).strip()

    plain = client.audio.transcriptions.create(model="whisper-1", file=SPEECH.open("rb"))
    assert plain.text == text
    as_text = client.audio.transcriptions.create(
        model="whisper-1", file=SPEECH.open("rb"), response_format="text"
    )
    assert as_text.strip() == text

    def cues(body, sep):
        # (start, end, text) per cue; times as the formats write them.
        out = []
        # WebVTT's hours are optional (openai-whisper's writer omits them under an hour).
        t = rf"((?:\d\d:)?\d\d:\d\d{sep}\d\d\d)"
        pattern = rf"{t} --> {t}\n(.*?)(?:\n\n|\n?$)"
        for m in re.finditer(pattern, body, re.S):
            out.append((m.group(1), m.group(2), m.group(3).strip()))
        return out

    def stamp(seconds, sep):
        ms = round(seconds * 1000)
        h, ms = divmod(ms, 3_600_000)
        m, ms = divmod(ms, 60_000)
        s, ms = divmod(ms, 1000)
        hours = f"{h:02}:" if h or sep == "," else ""
        return f"{hours}{m:02}:{s:02}{sep}{ms:03}"

    for fmt, sep in [("srt", ","), ("vtt", ".")]:
        body = client.audio.transcriptions.create(
            model="whisper-1", file=SPEECH.open("rb"), response_format=fmt
        )
        if fmt == "vtt":
            assert body.startswith("WEBVTT")
        expected = [
            (stamp(s.start, sep), stamp(s.end, sep), s.text.strip()) for s in verbose.segments
        ]
        assert cues(body, sep) == expected, fmt


def golden_cases():
    """The reference cases saved with SRT/VTT by scripts/make_fixtures.py (openai-whisper's own
    transcribe() output), each with the request options that reproduce it."""
    index = json.loads((FIXTURES / "reference" / "index.json").read_text())
    cases = [c for c in index["transcripts"] if "srt" in c]
    assert {c["schedule"] for c in cases if c["deterministic"]} == {"default", "greedy"}
    return cases


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: f"{c['audio']}-{c['schedule']}")
def test_golden_transcript_equals_openai_whisper(client, pushed, case):
    # No temperature for the default schedule (the fallback), temperature=0 for greedy.
    extra = {"temperature": 0} if case["schedule"] == "greedy" else {}
    wav = FIXTURES / "audio" / case["audio"]

    def ask(fmt):
        return client.audio.transcriptions.create(
            model="whisper-1", file=wav.open("rb"), response_format=fmt, **extra
        )

    assert ask("json").text == case["api_text"]
    assert ask("text") == case["api_text"] + "\n"
    assert ask("srt") == case["srt"]
    assert ask("vtt") == case["vtt"]
    verbose = ask("verbose_json")
    assert verbose.text == case["api_text"]
    got = [s.model_dump() for s in verbose.segments]
    assert len(got) == len(case["segments"])
    for i, (g, w) in enumerate(zip(got, case["segments"])):
        for key in ("id", "seek", "start", "end", "text", "tokens", "temperature"):
            assert g[key] == w[key], f"segment {i} {key}: {g[key]!r} != {w[key]!r}"
        assert g["avg_logprob"] == pytest.approx(w["avg_logprob"], abs=1e-3), f"segment {i}"
        assert g["compression_ratio"] == pytest.approx(w["compression_ratio"], rel=1e-2)
        assert g["no_speech_prob"] == pytest.approx(w["no_speech_prob"], abs=1e-6, rel=1e-3)


# The SDK marks audio.translations deprecated; the endpoint is still OpenAI's API, and ours.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_translation(client, pushed):
    r = client.audio.translations.create(
        model="whisper-1", file=SPEECH.open("rb"), response_format="verbose_json"
    )
    assert r.language == "english"
    assert r.text


def test_errors_reach_the_sdk_as_typed_exceptions(client, app, pushed, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(SPEECH.read_bytes()[:60])
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.transcriptions.create(model="whisper-1", file=corrupt.open("rb"))
    assert err.value.body["message"]

    with pytest.raises(openai.BadRequestError) as err:
        client.audio.transcriptions.create(
            model="whisper-1", file=SPEECH.open("rb"), response_format="mp3"
        )
    assert err.value.body["param"] == "response_format"

    stranger = openai.OpenAI(base_url=app + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.audio.transcriptions.create(model="whisper-1", file=SPEECH.open("rb"))
