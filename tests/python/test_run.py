"""agent.run(): the final message, events through on_event, and errors as durar.Error."""

import threading

import pytest

import durar

HELLO = "agent/openai-completions/answer_one.response.sse"
EMBEDDINGS = "providers/openai-completions/embeddings.response.json"


def test_module_has_a_version():
    assert isinstance(durar.__version__, str)
    assert durar.__version__.count(".") == 2


def test_run_returns_the_final_message(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)
    assert agent.model == "fake/m1"
    assert agent.session_key == "agent:main:main"

    result = agent.run("hello")

    assert result.text == "First answer."
    assert result.stop == "done"
    assert result.stop_reason == "stop"
    assert result.turns == 1
    assert result.usage["input"] == 150
    assert result.usage["output"] == 12
    assert result.message["role"] == "assistant"
    assert [m["role"] for m in result.messages] == ["user", "assistant"]


def test_run_reports_events_to_on_event(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)
    seen = []
    threads = set()

    def on_event(event):
        seen.append(event)
        threads.add(threading.get_ident())

    agent.run("hello", on_event=on_event)

    types = [e["type"] for e in seen]
    assert types[0] == "agent_start"
    assert types[-1] == "agent_end"
    assert seen[-1]["stop"] == "done"
    assert threads == {threading.get_ident()}  # callbacks come on the caller's thread


def test_an_exception_in_on_event_ends_the_run_and_propagates(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)

    def on_event(event):
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        agent.run("hello", on_event=on_event)
    # The agent is idle again and usable.
    assert agent.run("again").text == "First answer."


def test_missing_config_file_is_not_found(tmp_path):
    with pytest.raises(durar.NotFoundError) as raised:
        durar.load_config(tmp_path / "nope.yaml")
    assert raised.value.code == "not_found"
    assert isinstance(raised.value, durar.Error)


def test_invalid_config_is_invalid_argument(tmp_path, home):
    path = tmp_path / "durar.yaml"
    path.write_text("agents:\n  defualts: {}\n")
    with pytest.raises(durar.InvalidArgumentError) as raised:
        durar.load_config(path)
    assert "defualts" in str(raised.value)
    assert raised.value.retryable is False


def test_unknown_model_is_not_found(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    with pytest.raises(durar.NotFoundError):
        make_agent(vendor.url, model="nosuchprovider/m1")


def test_a_vendor_http_error_is_raised_with_its_status(fake_vendor, make_agent):
    # Only embeddings are recorded: the chat request gets the fake vendor's 404.
    vendor = fake_vendor("/v1/embeddings=" + EMBEDDINGS)
    agent = make_agent(vendor.url)
    with pytest.raises(durar.Error) as raised:
        agent.run("hello")
    assert raised.value.http_status == 404
    assert raised.value.result is not None
    assert raised.value.result.stop == "error"


def test_a_closed_agent_refuses_work(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)
    agent.close()
    assert agent.closed
    with pytest.raises(durar.UnavailableError):
        agent.run("hello")
    agent.close()  # twice is fine


def test_config_properties(write_config, home):
    cfg = durar.load_config(write_config("http://127.0.0.1:9"), env={"EXTRA": "1"})
    assert cfg.file_exists
    assert cfg.default_model == "fake/m1"
    assert cfg.to_dict()["agents"]["defaults"]["model"]["primary"] == "fake/m1"
