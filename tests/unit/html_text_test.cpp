// html_to_text: what a model reads of a web page.
#include <durar/tools.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using durar::html_to_text;

TEST_CASE("html_to_text drops scripts, styles, noscript and head", "[html]") {
  const std::string page = R"(<!DOCTYPE html>
<html><head><title>Page title</title><meta charset="utf-8">
<style>body { color: red } p > a { x: "</p>" }</style>
<script>var s = "<p>not text</p>"; if (a < b) { alert(1) }</script></head>
<body><noscript>Enable JavaScript</noscript><p>Visible text.</p>
<script type="module">document.write("</div>")</script><p>After.</p></body></html>)";
  CHECK(html_to_text(page) == "Visible text.\n\nAfter.");
}

TEST_CASE("html_to_text puts block elements on their own lines", "[html]") {
  CHECK(html_to_text("<h1>Title</h1><p>One</p><p>Two<br>Three</p><div>Four</div>Five") ==
        "Title\n\nOne\n\nTwo\nThree\n\nFour\nFive");
  CHECK(html_to_text("a<br><br>b") == "a\n\nb");
  CHECK(html_to_text("<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>") ==
        "k | v\na | 1");
}

TEST_CASE("html_to_text writes links as text (url)", "[html]") {
  CHECK(html_to_text(R"(See <a href="https://example.com/docs?a=1&amp;b=2">the docs</a>.)") ==
        "See the docs (https://example.com/docs?a=1&b=2).");
  // A link whose text is its address is not repeated; in-page and script links stay text.
  CHECK(html_to_text(R"(<a href="https://x.org">https://x.org</a>)") == "https://x.org");
  CHECK(html_to_text(R"h(<a href="#top">Top</a> <a href="JavaScript:void(0)">Menu</a>)h") ==
        "Top Menu");
  CHECK(html_to_text(R"(<a href='/img'><img alt="Logo" src=x.png></a>)") == "Logo (/img)");
  CHECK(html_to_text(R"(<a href="/only"></a>)") == "/only");
  // "&copy=" in a URL is a query parameter, not an entity.
  CHECK(html_to_text(R"(<a href="/q?x=1&copy=2">q</a>)") == "q (/q?x=1&copy=2)");
}

TEST_CASE("html_to_text writes list items with markers", "[html]") {
  CHECK(html_to_text("<p>Steps:</p><ul><li>one</li><li> two </li></ul><p>End</p>") ==
        "Steps:\n\n- one\n- two\n\nEnd");
  CHECK(html_to_text("<ol><li>first<li>second</ol>") == "1. first\n2. second");
  CHECK(html_to_text("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>") == "- a\n  - b\n- c");
}

TEST_CASE("html_to_text decodes entities", "[html]") {
  CHECK(html_to_text("Fish &amp; chips &lt;3 &quot;q&quot; &#39;s&#x27; caf&eacute; &copy; 2024") ==
        "Fish & chips <3 \"q\" 's' caf\xC3\xA9 \xC2\xA9 2024");
  CHECK(html_to_text("a&nbsp;&nbsp;b &mdash; &hellip; &euro;5 &#8364; &#x1F600;") ==
        "a b \xE2\x80\x94 \xE2\x80\xA6 \xE2\x82\xAC"
        "5 \xE2\x82\xAC \xF0\x9F\x98\x80");
  // Windows-1252 numbers as browsers read them; unknown and invalid ones stay harmless.
  CHECK(html_to_text("&#150;&#0;&#xD800;&unknown; & &#; &amp") ==
        "\xE2\x80\x93\xEF\xBF\xBD\xEF\xBF\xBD&unknown; & &#; &");
}

TEST_CASE("html_to_text collapses whitespace but keeps pre", "[html]") {
  CHECK(html_to_text("  <p>  lots   of\n\n  space\t here </p>  ") == "lots of space here");
  CHECK(html_to_text("<p>x</p><pre>  a\n    b</pre><p>y</p>") == "x\n\n  a\n    b\n\ny");
}

TEST_CASE("html_to_text survives malformed markup", "[html]") {
  CHECK(html_to_text("") == "");
  CHECK(html_to_text("plain text") == "plain text");
  CHECK(html_to_text("a < b and c <= d") == "a < b and c <= d");
  CHECK(html_to_text("<p>unclosed <b>bold <i>italic") == "unclosed bold italic");
  CHECK(html_to_text("<!-- comment --><p>x</p><!-- never closed <p>y</p>") == "x");
  CHECK(html_to_text("<p>x</p><script>never closed <p>y</p>") == "x");
  CHECK(html_to_text("<div class=\"unterminated>text</div>") == "");
  CHECK(html_to_text("text<") == "text<");
  CHECK(html_to_text("text</") == "text</");
  CHECK(html_to_text("<a href=x>one<a href=y>two</a>") == "one (x)two (y)");
  CHECK(html_to_text("</p></div></ul></li>ok</a></head>") == "ok");
  // A head that is never closed ends where the body's content starts, as in browsers.
  CHECK(html_to_text("<html><head><title>t</title><p>Body text</p>") == "Body text");
  CHECK(html_to_text("<head><meta x>Stray text") == "Stray text");
  CHECK(html_to_text("<svg><text>drawn</text><svg>inner</svg></svg>after") == "after");
  CHECK(html_to_text(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE("html_to_text stays linear on hostile input", "[html]") {
  // Patterns that make backtracking converters quadratic: many opens, unterminated constructs.
  std::string nested;
  for (int i = 0; i < 100000; ++i) nested += "<div><a href=\"x\"><ul><li>";
  std::string opens(400000, '<');
  std::string amps;
  for (int i = 0; i < 100000; ++i) amps += "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  std::string scripts;
  for (int i = 0; i < 100000; ++i) scripts += "<script></scrip";
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(html_to_text(nested).empty());
  CHECK(html_to_text(opens) == opens);
  CHECK(html_to_text(amps).size() == amps.size());
  CHECK(html_to_text(scripts).empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
