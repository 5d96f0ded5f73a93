"""Host tools as Python callables: arguments in, return value or exception out, always on
the thread that consumes the run."""

import json
import threading

import pytest

import durar

WEATHER = ["agent/openai-completions/weather_call.response.sse",
           "agent/openai-completions/weather_answer.response.sse"]
EXPLODE = ["agent/openai-completions/explode_call.response.sse",
           "agent/openai-completions/final_text.response.sse"]
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def tool_ends(events):
    return [e for e in events if e["type"] == "tool_execution_end"]


def result_text(event):
    return "".join(b["text"] for b in event["result"]["content"] if b["type"] == "text")


def test_a_python_tool_answers_the_model(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)
    calls = []

    @agent.tool(description="Current weather in a city", schema=WEATHER_SCHEMA)
    def get_weather(args):
        calls.append((args, threading.get_ident()))
        return "18°C and sunny"

    assert "get_weather" in agent.tools
    events = list(agent.stream("What is the weather in Paris?"))

    assert calls == [({"city": "Paris"}, threading.get_ident())]
    types = [e["type"] for e in events]
    assert types.index("tool_execution_start") < types.index("tool_execution_end")
    (end,) = tool_ends(events)
    assert end["toolName"] == "get_weather"
    assert end["isError"] is False
    assert result_text(end) == "18°C and sunny"
    assert events[-1]["stop"] == "done"
    assert events[-1]["turns"] == 2
    messages = agent.session.messages
    assert [m["role"] for m in messages] == ["user", "assistant", "toolResult", "assistant"]
    assert messages[-1]["content"][0]["text"] == "It is 18°C and sunny in Paris."


def test_a_tool_raising_becomes_an_error_result(fake_vendor, make_agent):
    vendor = fake_vendor(*EXPLODE)
    agent = make_agent(vendor.url)

    def explode(args):
        raise RuntimeError("boom")

    agent.add_tool(explode, description="Always fails")
    events = []
    result = agent.run("go", on_event=events.append)

    (end,) = tool_ends(events)
    assert end["isError"] is True
    assert result_text(end) == "RuntimeError: boom"
    assert result.stop == "done"  # the model read the error and answered
    assert result.text == "Done."


def test_a_tool_returning_json(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)
    agent.add_tool(lambda args: {"celsius": 18, "sky": "sunny"}, name="get_weather",
                   schema=json.dumps(WEATHER_SCHEMA))
    events = []
    agent.run("weather?", on_event=events.append)
    (end,) = tool_ends(events)
    assert json.loads(result_text(end)) == {"celsius": 18, "sky": "sunny"}
    assert end["result"]["details"] == {"celsius": 18, "sky": "sunny"}


def test_tools_given_to_the_constructor(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)

    def get_weather(args):
        """Current weather in a city."""
        return "cloudy"

    agent = make_agent(vendor.url, tools=[get_weather])
    assert agent.run("weather?").stop == "done"


def test_a_stream_iterated_in_another_thread_runs_the_tool_there(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)
    tool_threads = []
    agent.add_tool(lambda args: tool_threads.append(threading.get_ident()) or "warm",
                   name="get_weather", schema=WEATHER_SCHEMA)
    outcome = {}

    def consume():
        outcome["events"] = list(agent.stream("weather?"))
        outcome["thread"] = threading.get_ident()

    consumer = threading.Thread(target=consume)
    consumer.start()
    consumer.join(30)
    assert not consumer.is_alive()
    assert tool_threads == [outcome["thread"]]
    assert outcome["events"][-1]["stop"] == "done"


def test_abort_from_inside_a_tool(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)

    def get_weather(args):
        agent.abort()
        return "never read"

    agent.add_tool(get_weather, schema=WEATHER_SCHEMA)
    result = agent.run("weather?")
    assert result.stop == "aborted"
    assert result.turns == 1


def test_keyboard_interrupt_in_a_tool_aborts_the_run_and_propagates(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)

    def get_weather(args):
        raise KeyboardInterrupt

    agent.add_tool(get_weather, schema=WEATHER_SCHEMA)
    with pytest.raises(KeyboardInterrupt):
        agent.run("weather?")
    assert agent.run("again").stop == "done"  # idle again (the vendor answers with text)


def test_bad_tool_registrations_are_refused(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER)
    agent = make_agent(vendor.url)
    with pytest.raises(ValueError):
        agent.add_tool(lambda args: "", name="has space")
    with pytest.raises(ValueError):
        agent.add_tool(lambda args: "", name="ok", schema="[1, 2]")
    with pytest.raises(ValueError):
        agent.add_tool(lambda args: "", name="ok", schema="{not json")
    with pytest.raises(TypeError):
        agent.add_tool("not callable", name="ok")
    agent.add_tool(lambda args: "", name="twice")
    with pytest.raises(durar.InvalidArgumentError):
        agent.add_tool(lambda args: "", name="twice")
    with pytest.raises(durar.InvalidArgumentError):
        agent.add_tool(lambda args: "", name="read")  # a built-in tool's name
    assert "read" not in agent.tools
