"""Agent(tool_choice=...) and Agent.tool_choice: the choice reaches the vendor's request body
(durar-fake-vendor logs every body it receives), a forced choice is spent once the model
called a tool, and bad choices are refused."""

import pytest

import durar

WEATHER = ["agent/openai-completions/weather_call.response.sse",
           "agent/openai-completions/weather_answer.response.sse"]
ANSWER = "agent/openai-completions/answer_one.response.sse"
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
NAMED = {"type": "function", "function": {"name": "get_weather"}}


def get_weather(args):
    """The weather in a city."""
    return "18 degrees and sunny in " + args["city"]


def choices(vendor):
    # The fake provider is not api.openai.com: an automatic choice is sent as "auto".
    return [body.get("tool_choice") for body in vendor.received()]


def test_a_named_choice_holds_until_the_tool_was_called(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER, log_requests=True)
    agent = make_agent(vendor.url, tool_choice={"name": "get_weather"})
    agent.add_tool(get_weather, schema=WEATHER_SCHEMA)
    assert agent.tool_choice == {"name": "get_weather"}

    result = agent.run("What is the weather in Paris?")

    assert result.text == "It is 18°C and sunny in Paris."
    assert result.turns == 2
    # The first model call is told to call get_weather; after the call the model answers.
    assert choices(vendor) == [NAMED, "auto"]
    assert agent.tool_choice == {"name": "get_weather"}  # the agent keeps it for later runs


def test_the_choice_can_change_between_runs(fake_vendor, make_agent):
    vendor = fake_vendor(*WEATHER, ANSWER, ANSWER, log_requests=True)
    agent = make_agent(vendor.url, tools=[get_weather])
    assert agent.tool_choice == "auto"

    agent.tool_choice = "required"
    assert agent.tool_choice == "required"
    agent.run("What is the weather in Paris?")
    assert choices(vendor) == ["required", "auto"]

    agent.tool_choice = "none"
    assert agent.run("Hello").text == "First answer."
    agent.tool_choice = None
    assert agent.tool_choice == "auto"
    agent.run("Hello again")
    assert choices(vendor) == ["required", "auto", "none", "auto"]


def test_the_openai_shape_of_a_named_choice_is_taken(fake_vendor, make_agent):
    vendor = fake_vendor(ANSWER, log_requests=True)
    agent = make_agent(vendor.url, tools=[get_weather])
    agent.tool_choice = {"type": "function", "name": "get_weather"}
    assert agent.tool_choice == {"name": "get_weather"}
    agent.run("Hello")
    assert choices(vendor) == [NAMED]


def test_a_name_no_tool_has_fails_the_run_before_any_request(fake_vendor, make_agent):
    vendor = fake_vendor(ANSWER, log_requests=True)
    agent = make_agent(vendor.url, tools=[get_weather], tool_choice={"name": "get_wether"})
    with pytest.raises(durar.InvalidArgumentError, match="get_wether"):
        agent.run("Hello")
    assert vendor.received() == []
    # Fixed, the agent runs.
    agent.tool_choice = {"name": "get_weather"}
    agent.run("Hello")
    assert choices(vendor) == [NAMED]


def test_bad_choices_are_refused(fake_vendor, make_agent):
    vendor = fake_vendor(ANSWER)
    for bad in ["sometimes", "", {"nam": "x"}, {"name": ""}, {"name": 3},
                {"type": "tool", "name": "x"}, {"name": "x", "extra": 1}]:
        with pytest.raises(ValueError):
            make_agent(vendor.url, tool_choice=bad)
    agent = make_agent(vendor.url)
    for bad in [3, ["required"], True]:
        with pytest.raises(TypeError):
            agent.tool_choice = bad
    with pytest.raises(ValueError, match="'sometimes'"):
        agent.tool_choice = "sometimes"
    assert agent.tool_choice == "auto"  # a refused value changes nothing
    agent.close()
    with pytest.raises(durar.UnavailableError):
        agent.tool_choice = "none"
