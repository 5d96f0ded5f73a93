"""Sessions: a second agent on the same key continues the conversation."""

import durar

ANSWERS = ["agent/openai-completions/answer_one.response.sse",
           "agent/openai-completions/answer_two.response.sse"]


def test_session_resume(fake_vendor, make_agent):
    vendor = fake_vendor(*ANSWERS)
    with make_agent(vendor.url, session_key="work") as first:
        assert first.session_key == "agent:main:work"
        assert first.run("first question").text == "First answer."
        path = first.session.path

    # Closed: the session's lock is free for the next agent.
    second = make_agent(vendor.url, session_key="work")
    assert second.session.path == path
    assert second.run("second question").text == "Second answer."

    session = second.session
    assert [m["role"] for m in session.messages] == ["user", "assistant"] * 2
    assert session.messages[0]["content"][0]["text"] == "first question"
    assert session.totals["assistantMessages"] == 2
    assert session.key == "agent:main:work"


def test_a_session_is_locked_while_an_agent_has_it(fake_vendor, make_agent):
    vendor = fake_vendor(*ANSWERS)
    make_agent(vendor.url, session_key="busy")
    try:
        make_agent(vendor.url, session_key="busy")
    except durar.UnavailableError:
        pass
    else:
        raise AssertionError("a second agent opened a locked session")


def test_session_load_reads_a_transcript(fake_vendor, make_agent):
    vendor = fake_vendor(*ANSWERS)
    agent = make_agent(vendor.url)
    agent.run("hi")
    path = agent.session.path
    agent.close()
    loaded = durar.Session.load(path)
    assert [m["role"] for m in loaded.messages] == ["user", "assistant"]
    assert loaded.key == ""
