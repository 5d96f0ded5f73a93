"""agent.stream(): event dicts in order, the result, and abort while the network waits."""

import signal
import subprocess
import sys
import threading

import pytest

import durar

HELLO = "agent/openai-completions/answer_one.response.sse"


def test_stream_yields_events_in_order(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)

    events = list(agent.stream("hello"))

    types = [e["type"] for e in events]
    assert types[:3] == ["agent_start", "turn_start", "message_start"]
    assert types[-2:] == ["turn_end", "agent_end"]
    deltas = [
        e["assistantMessageEvent"]["delta"]
        for e in events
        if e["type"] == "message_update" and e["assistantMessageEvent"]["type"] == "text_delta"
    ]
    assert "".join(deltas) == "First answer."
    assert events[-1]["stop"] == "done"
    assert all(e.get("turn", 1) == 1 for e in events if e["type"] != "agent_end")


def test_stream_result_after_iteration(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)
    stream = agent.stream("hello")
    for _ in stream:
        pass
    assert stream.finished
    assert stream.result().text == "First answer."


def test_stream_result_without_iterating(fake_vendor, make_agent):
    vendor = fake_vendor(HELLO)
    agent = make_agent(vendor.url)
    assert agent.stream("hello").result().stop == "done"


def test_one_run_at_a_time(stalling_server, make_agent):
    # The first run is held mid-answer by the server, so it is still running when the
    # second asks (a fast vendor could finish it first).
    agent = make_agent(stalling_server.url, provider="stall")
    with agent.stream("hello") as first:
        assert stalling_server.stalled.wait(10)
        with pytest.raises(durar.UnavailableError):
            agent.stream("again")
        first.abort()
        assert first.result().stop == "aborted"
    second = agent.stream("now")  # accepted once the first has ended
    second.abort()
    assert second.result().stop == "aborted"


def test_abort_mid_stream(stalling_server, make_agent):
    agent = make_agent(stalling_server.url, provider="stall")
    stream = agent.stream("tell me a long story")
    events = []
    for event in stream:
        events.append(event)
        if (
            event["type"] == "message_update"
            and event["assistantMessageEvent"]["type"] == "text_delta"
        ):
            stream.abort()  # the server now holds the connection open: only abort ends this

    assert events[-1]["type"] == "agent_end"
    assert events[-1]["stop"] == "aborted"
    result = stream.result()
    assert result.stop == "aborted"
    assert result.text == "Partial"
    assert stalling_server.client_left.wait(10)  # the connection was dropped
    last = agent.session.messages[-1]
    assert last["role"] == "assistant" and last["stopReason"] == "aborted"


def test_abort_from_another_thread_while_run_waits(stalling_server, make_agent):
    agent = make_agent(stalling_server.url, provider="stall")

    def abort_when_stalled():
        # Runs while the main thread is inside run(): the GIL was released for the wait.
        if stalling_server.stalled.wait(10):
            agent.abort()

    aborter = threading.Thread(target=abort_when_stalled)
    aborter.start()
    try:
        result = agent.run("hello")
    finally:
        aborter.join(10)
    assert result.stop == "aborted"
    assert result.text == "Partial"


def test_closing_a_stream_aborts_its_run(stalling_server, make_agent):
    agent = make_agent(stalling_server.url, provider="stall")
    stream = agent.stream("hello")
    for event in stream:
        if event["type"] == "message_update":
            break
    stream.close()
    assert stream.finished
    assert stalling_server.client_left.wait(10)


def test_closing_the_agent_ends_a_stream(stalling_server, make_agent):
    agent = make_agent(stalling_server.url, provider="stall")
    stream = agent.stream("hello")
    assert stalling_server.stalled.wait(10)
    agent.close()
    list(stream)  # ends: the closed agent finished the run
    with pytest.raises(durar.CancelledError):
        stream.result()


CTRL_C_CHILD = """
import sys, durar
agent = durar.Agent(durar.load_config(sys.argv[1]), state_dir=sys.argv[2])
try:
    agent.run("hello")
except KeyboardInterrupt:
    print("interrupted", agent.session.messages[-1]["stopReason"])
    sys.exit(3)
"""


def test_ctrl_c_aborts_a_waiting_run(stalling_server, write_config, tmp_path):
    config = write_config(stalling_server.url, provider="stall")
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_CHILD, str(config), str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert stalling_server.stalled.wait(10)  # the child is inside run(), waiting
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert child.returncode == 3, err
    assert out == "interrupted aborted\n"
