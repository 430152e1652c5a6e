"""The official `openai` package against the synthesize component, unchanged: the built wasm
under `spin-harness`, the fixture XTTS model pushed with `sawt models push`, a voice added with
`sawt voices add`, then `audio.speech.create`, streaming to a file, SSE events and the voices
round trip. The Rust e2e tests (tests/harness/tests/synthesize.rs) prove the wasm answers equal
the native core's and coqui's waveform; these prove the SDK's own requests and parsing work.
"""

import base64
import json
import subprocess
import urllib.request
import wave

import openai
import pytest

from conftest import REPO, binary, start_harness, stop

ADMIN = "python-admin-token"
CLIENT_KEY = "sk-sawt-python-client"
FIXTURES = REPO / "tests" / "fixtures" / "xtts"
TEXT = "مرحبا بيك في صوت."


def sawt(*args, token=ADMIN):
    done = subprocess.run(
        [binary("sawt"), *args],
        env={"SAWT_ADMIN_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def app():
    proc, url = start_harness(
        {
            "admin_token": ADMIN,
            "api_keys": CLIENT_KEY,
            "tts_sampling": "greedy",
            # Clients may not clone here: the operator adds voices with the admin token.
            "enable_voice_cloning": "false",
        }
    )
    try:
        sawt("models", "push", str(FIXTURES / "model"), "--name", "xtts-v2", "--url", url, "--retries", "0")
        out = sawt("voices", "add", "amira", str(FIXTURES / "audio" / "amira.wav"), "--url", url)
        assert out.startswith("added amira (voice_"), out
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def client(app):
    return openai.OpenAI(base_url=app + "/v1", api_key=CLIENT_KEY, max_retries=0)


def test_speech_create_returns_a_wav_the_wave_module_reads(client, tmp_path):
    r = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
    path = tmp_path / "answer.wav"
    r.write_to_file(path)
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
        # Streamed WAV says "unknown" sizes; the data runs to the end of the file.
        frames = w.readframes(1 << 30)
    assert len(frames) == len(raw) - 44 > 24000


def test_streaming_to_a_file_gives_the_same_bytes(client, tmp_path):
    whole = client.audio.speech.create(model="tts-1", voice="amira", input=TEXT, response_format="pcm")
    path = tmp_path / "answer.pcm"
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="amira", input=TEXT, response_format="pcm"
    ) as s:
        assert s.headers["content-type"] == "audio/pcm"
        s.stream_to_file(path)
    assert path.read_bytes() == whole.content
    flac = client.audio.speech.create(model="tts-1", voice="amira", input=TEXT, response_format="flac")
    assert flac.content[:4] == b"fLaC"


def test_sse_events_carry_the_audio_and_usage(client):
    # The SDK sends stream_format and hands back the event stream's bytes.
    r = client.audio.speech.create(
        model="tts-1", voice="amira", input=TEXT, response_format="pcm", stream_format="sse"
    )
    assert r.response.headers["content-type"] == "text/event-stream"
    events = [json.loads(e.removeprefix("data: ")) for e in r.text.split("\n\n") if e]
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    plain = client.audio.speech.create(model="tts-1", voice="amira", input=TEXT, response_format="pcm")
    assert audio == plain.content
    assert events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def listed(app):
    req = urllib.request.Request(app + "/v1/audio/voices", headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def test_voices_round_trip_with_the_sdk(app, client):
    listing = listed(app)
    assert listing["cloning_enabled"] is False
    assert [v["name"] for v in listing["data"]] == ["amira"]
    clip = FIXTURES / "audio" / "nour.wav"
    # A client may not clone here (the SDK's own voices.create: audio_sample + consent) ...
    with pytest.raises(openai.PermissionDeniedError) as err:
        client.audio.voices.create(name="nour", audio_sample=clip.open("rb"), consent="cons_1")
    assert err.value.code == "voice_cloning_disabled"
    # ... the operator, with the admin token, may.
    admin = openai.OpenAI(base_url=app + "/v1", api_key=ADMIN, max_retries=0, timeout=120)
    voice = admin.audio.voices.create(name="nour", audio_sample=clip.open("rb"), consent="cons_1")
    assert voice.object == "audio.voice" and voice.type == "audio_sample" and voice.name == "nour"
    assert voice.id.startswith("voice_")
    spoken = client.audio.speech.create(model="tts-1", voice={"id": voice.id}, input=TEXT, response_format="pcm")
    assert len(spoken.content) > 0
    assert "nour" in sawt("voices", "ls", "--url", app, token=CLIENT_KEY)
    deleted = client.audio.voices.delete(voice.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (voice.id, True, "audio.voice.deleted")
    with pytest.raises(openai.NotFoundError) as err:
        client.audio.speech.create(model="tts-1", voice=voice.id, input=TEXT)
    assert err.value.code == "voice_not_found"
    with pytest.raises(openai.NotFoundError):
        client.audio.voices.delete(voice.id)
    with pytest.raises(openai.BadRequestError) as err:
        client.audio.speech.create(model="tts-1", voice="amira", input=TEXT, response_format="aac")
    assert "wav, pcm, flac, mp3, opus" in err.value.message
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="amira", input="ب" * 5000)
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="tts-2", voice="amira", input=TEXT)
