"""The official `openai` package against the chat function, unchanged, twice: against the
native dev server over the same core (`sawt-chat-dev`), and against the built wasm component
under `spin-harness` (as `spin up` runs it). Both talk to `mock-openrouter` on 127.0.0.1.

To test another deployment whose upstream is a running mock-openrouter, set
SAWT_CHAT_BASE_URL (e.g. http://127.0.0.1:3000/v1) and MOCK_OPENROUTER_URL
(e.g. http://127.0.0.1:4000/api/v1).
"""

import json
import os
import urllib.request

import openai
import pytest

from conftest import start, start_harness, start_mock, stop, binary

KEY = "sk-or-v1-python-test-key"
ANSWER = "أهلاً بيك! أنا صوت، مساعدك المصري. تحب أساعدك في إيه النهارده؟"
DEFAULT_MODEL = "google/gemma-2-27b-it"


@pytest.fixture(scope="module", params=["native", "wasm"])
def endpoints(request):
    if os.environ.get("SAWT_CHAT_BASE_URL"):
        if request.param == "wasm":
            pytest.skip("SAWT_CHAT_BASE_URL names the one deployment to test")
        yield os.environ["SAWT_CHAT_BASE_URL"], os.environ["MOCK_OPENROUTER_URL"]
        return
    mock, mock_url = start_mock()
    if request.param == "native":
        chat, chat_url = start(
            [binary("sawt-chat-dev"), "--port", "0"],
            "listening on ",
            {
                **os.environ,
                "SPIN_VARIABLE_OPENROUTER_API_KEY": KEY,
                "SPIN_VARIABLE_OPENROUTER_BASE_URL": mock_url,
                "SPIN_VARIABLE_OPENROUTER_TIMEOUT_SECS": "2",
            },
        )
    else:
        origin, api_path = mock_url.split("/api/")
        chat, chat_url = start_harness(
            {
                "openrouter_api_key": KEY,
                "openrouter_origin": origin,
                "openrouter_api_path": "/api/" + api_path,
                "openrouter_timeout_secs": "2",
            }
        )
    try:
        yield chat_url + "/v1", mock_url
    finally:
        stop(chat, mock)


@pytest.fixture
def client(endpoints):
    # Any client key works unless the server sets `api_keys`; retries off so errors show.
    return openai.OpenAI(base_url=endpoints[0], api_key="anything", max_retries=0)


def recorded(endpoints):
    origin = endpoints[1].split("/api/")[0]
    with urllib.request.urlopen(origin + "/__mock/requests") as r:
        return json.load(r)


def test_non_streaming_create(client, endpoints):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "ازيك يا صوت؟"}],
        temperature=0.4,
        max_tokens=64,
    )
    assert raw.headers["x-sawt-persona"] == "arabic_egyptian@v1"
    completion = raw.parse()
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == DEFAULT_MODEL
    assert completion.usage.total_tokens == 59

    sent = recorded(endpoints)[-1]
    assert sent["path"] == "/api/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    body = json.loads(sent["body"])
    assert body["model"] == DEFAULT_MODEL
    assert body["max_tokens"] == 64
    assert body["messages"][0]["role"] == "system"
    assert "المصرية" in body["messages"][0]["content"]
    assert body["messages"][1] == {"role": "user", "content": "ازيك يا صوت؟"}


def test_streaming_create(client):
    stream = client.chat.completions.create(
        model=DEFAULT_MODEL,
        messages=[{"role": "user", "content": "قولي نكتة"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.total_tokens == 59


def test_mid_stream_error_raises(client):
    stream = client.chat.completions.create(
        model=DEFAULT_MODEL,
        messages=[{"role": "user", "content": "[mock:stream-error]"}],
        stream=True,
    )
    got = []
    with pytest.raises(openai.APIError) as err:
        for chunk in stream:
            got.append(chunk.choices[0].delta.content)
    assert err.value.message == "Provider disconnected unexpectedly"
    assert "".join(got) == "أهلاً بيك! "


@pytest.mark.parametrize(
    "status,exc",
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (402, openai.APIStatusError),
        (403, openai.PermissionDeniedError),
        (429, openai.RateLimitError),
        (502, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_errors(client, status, exc, stream):
    with pytest.raises(exc) as err:
        client.chat.completions.create(
            model=DEFAULT_MODEL,
            messages=[{"role": "user", "content": f"[mock:error-{status}]"}],
            stream=stream,
        )
    assert err.value.status_code == status
    assert set(err.value.body) == {"message", "type", "param", "code"}
    assert KEY not in err.value.message
    if status == 429:
        assert err.value.response.headers["retry-after"] == "7"


def test_timeout_is_504(client):
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(
            model=DEFAULT_MODEL, messages=[{"role": "user", "content": "[mock:hang]"}]
        )
    assert err.value.status_code == 504
    assert err.value.body["code"] == "upstream_timeout"


def test_bad_request_is_rejected_locally(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=DEFAULT_MODEL, messages=[])
    assert err.value.body["param"] == "messages"


def test_models_list(client):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == DEFAULT_MODEL
    assert "whisper-1" in ids
