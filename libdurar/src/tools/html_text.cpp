// html_to_text: one forward pass over any bytes, linear in the input whatever the markup
// (unclosed tags, stray '<', unterminated quotes or comments): no tree, no backtracking.
#include <durar/tools.hpp>

#include "tools/html_entities.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace durar {
namespace {

// ---- output --------------------------------------------------------------------------

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Text with whitespace collapsed: spaces and breaks are owed and paid only before the next
// visible character, so no line starts or ends with a space and no run of blank lines forms.
class text_writer {
 public:
  void text(std::string_view t) {
    for (char c : t) {
      if (is_space(c)) {
        space_ = true;
      } else {
        pay();
        out_ += c;
      }
    }
  }
  void verbatim(std::string_view t) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\r') continue;
      pay();
      out_ += t[i];
    }
  }
  void block(int lines) {
    breaks_ = std::max(breaks_, lines);
    space_ = false;
  }
  void line_break() {
    breaks_ = std::min(breaks_ + 1, 2);
    space_ = false;
  }
  void marker(std::string m) { marker_ = std::move(m); }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  [[nodiscard]] std::string_view since(std::size_t pos) const {
    return std::string_view(out_).substr(std::min(pos, out_.size()));
  }
  std::string finish() {
    while (!out_.empty() && is_space(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  void pay() {
    if (!out_.empty()) {
      if (breaks_ > 0) {
        while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
        int have = 0;
        for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n' && have < 2; ++it) ++have;
        for (int i = have; i < breaks_; ++i) out_ += '\n';
      } else if (space_ && out_.back() != '\n') {
        out_ += ' ';
      }
    }
    breaks_ = 0;
    space_ = false;
    if (!marker_.empty()) {
      out_ += marker_;
      marker_.clear();
    }
  }

  std::string out_;
  int breaks_ = 0;
  bool space_ = false;
  std::string marker_;
};

// ---- tags ----------------------------------------------------------------------------

enum class tag_kind {
  other,
  raw_skip,     // script, style, title...: raw text up to the end tag, dropped
  nested_skip,  // template, svg, math: parsed, dropped
  head,
  body,
  paragraph,  // a block with a blank line around it
  line,       // a block on its own line
  br,
  list,  // ul, ol
  li,
  row,
  cell,
  pre,
  a,
  img,
};

struct tag_info {
  tag_kind kind;
  bool ordered = false;  // ol
};

const std::unordered_map<std::string_view, tag_info>& tag_table() {
  static const std::unordered_map<std::string_view, tag_info> table = [] {
    std::unordered_map<std::string_view, tag_info> t;
    for (auto n : {"script", "style", "title", "noscript", "iframe", "noembed", "noframes",
                   "textarea", "xmp"})
      t[n] = {tag_kind::raw_skip};
    for (auto n : {"template", "svg", "math", "object"}) t[n] = {tag_kind::nested_skip};
    for (auto n :
         {"p",      "h1",   "h2",     "h3",    "h4",       "h5",      "h6",      "blockquote",
          "table",  "dl",   "figure", "form",  "fieldset", "section", "article", "header",
          "footer", "main", "nav",    "aside", "address",  "hr",      "details"})
      t[n] = {tag_kind::paragraph};
    for (auto n : {"div", "dt", "dd", "caption", "figcaption", "summary", "legend", "center",
                   "dialog", "menu", "thead", "tbody", "tfoot", "option", "html"})
      t[n] = {tag_kind::line};
    t["head"] = {tag_kind::head};
    t["body"] = {tag_kind::body};
    t["br"] = {tag_kind::br};
    t["ul"] = {tag_kind::list, false};
    t["ol"] = {tag_kind::list, true};
    t["li"] = {tag_kind::li};
    t["tr"] = {tag_kind::row};
    t["td"] = {tag_kind::cell};
    t["th"] = {tag_kind::cell};
    t["pre"] = {tag_kind::pre};
    t["a"] = {tag_kind::a};
    t["img"] = {tag_kind::img};
    return t;
  }();
  return table;
}

tag_info info_of(std::string_view name) {
  const auto& t = tag_table();
  auto it = t.find(name);
  return it == t.end() ? tag_info{tag_kind::other} : it->second;
}

// Elements allowed in <head>; any other start tag means the body began without saying so.
bool head_element(std::string_view name) {
  return name == "title" || name == "meta" || name == "link" || name == "style" ||
         name == "script" || name == "base" || name == "noscript" || name == "template";
}

bool is_name_char(char c) { return detail::ascii_alnum(c) || c == '-' || c == ':' || c == '_'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

struct parsed_tag {
  std::string name;  // lower-case
  bool end = false;
  bool self_closing = false;
  std::string href;
  std::string alt;
};

class converter {
 public:
  explicit converter(std::string_view html) : in_(html) {}

  std::string run() {
    std::size_t text_start = 0;
    while (pos_ < in_.size()) {
      const std::size_t lt = in_.find('<', pos_);
      if (lt == std::string_view::npos) break;
      pos_ = lt;
      if (lt + 1 >= in_.size()) break;
      const char next = in_[lt + 1];
      const bool markup = next == '!' || next == '?' || (next == '/' && lt + 2 < in_.size()) ||
                          (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z');
      if (!markup) {
        ++pos_;  // a literal '<'
        continue;
      }
      emit_text(in_.substr(text_start, lt - text_start));
      read_markup();
      text_start = pos_;
    }
    emit_text(in_.substr(text_start));
    close_link();
    return out_.finish();
  }

 private:
  [[nodiscard]] bool suppressed() const { return skip_depth_ > 0 || in_head_; }

  void emit_text(std::string_view raw) {
    if (raw.empty()) return;
    if (in_head_ && skip_depth_ == 0) {
      // Visible text in <head> means the head ended (as browsers decide).
      if (std::all_of(raw.begin(), raw.end(), is_space)) return;
      in_head_ = false;
    }
    if (suppressed()) return;
    std::string decoded = detail::decode_entities(raw, false);
    if (pre_depth_ > 0)
      out_.verbatim(decoded);
    else
      out_.text(decoded);
  }

  void skip_past(char c) {
    auto p = in_.find(c, pos_);
    pos_ = p == std::string_view::npos ? in_.size() : p + 1;
  }

  void read_markup() {
    const char next = in_[pos_ + 1];
    if (next == '!') {
      if (in_.substr(pos_, 4) == "<!--") {
        auto end = in_.find("-->", pos_ + 2);
        pos_ = end == std::string_view::npos ? in_.size() : end + 3;
      } else {
        skip_past('>');  // doctype, CDATA and other declarations
      }
      return;
    }
    if (next == '?') return skip_past('>');
    parsed_tag tag;
    if (!read_tag(tag)) return;
    if (tag.end)
      end_tag(tag.name);
    else
      start_tag(tag);
  }

  // Reads a start or end tag at pos_; false when the input ends inside it (dropped).
  bool read_tag(parsed_tag& tag) {
    std::size_t i = pos_ + 1;
    if (in_[i] == '/') {
      tag.end = true;
      ++i;
    }
    const std::size_t name_start = i;
    while (i < in_.size() && is_name_char(in_[i])) ++i;
    if (i == name_start) {  // "</ >" and the like: a bogus comment
      skip_past('>');
      return false;
    }
    tag.name.reserve(std::min<std::size_t>(i - name_start, 32));
    for (std::size_t k = name_start; k < i && k - name_start < 32; ++k) tag.name += lower(in_[k]);
    if (tag.end) {
      pos_ = i;
      skip_past('>');
      return true;
    }
    // Attributes: name[=value], values quoted or not, until '>'.
    while (i < in_.size()) {
      const char c = in_[i];
      if (c == '>') {
        pos_ = i + 1;
        return true;
      }
      if (is_space(c)) {
        ++i;
        continue;
      }
      if (c == '/') {
        tag.self_closing = i + 1 < in_.size() && in_[i + 1] == '>';
        ++i;
        continue;
      }
      const std::size_t attr_start = i;
      while (i < in_.size() && !is_space(in_[i]) && in_[i] != '>' && in_[i] != '=' &&
             (in_[i] != '/' || i == attr_start))
        ++i;
      std::string attr;
      for (std::size_t k = attr_start; k < i && k - attr_start < 16; ++k) attr += lower(in_[k]);
      while (i < in_.size() && is_space(in_[i])) ++i;
      if (i >= in_.size() || in_[i] != '=') continue;
      ++i;
      while (i < in_.size() && is_space(in_[i])) ++i;
      std::string_view value;
      if (i < in_.size() && (in_[i] == '"' || in_[i] == '\'')) {
        const char quote = in_[i];
        auto close = in_.find(quote, i + 1);
        if (close == std::string_view::npos) break;
        value = in_.substr(i + 1, close - i - 1);
        i = close + 1;
      } else {
        const std::size_t v = i;
        while (i < in_.size() && !is_space(in_[i]) && in_[i] != '>') ++i;
        value = in_.substr(v, i - v);
      }
      if (attr == "href")
        tag.href = detail::decode_entities(value, true);
      else if (attr == "alt")
        tag.alt = detail::decode_entities(value, true);
    }
    pos_ = in_.size();
    return false;
  }

  // Skips raw text up to and including </name>, case-insensitively.
  void skip_raw_text(std::string_view name) {
    std::size_t p = pos_;
    while (true) {
      p = in_.find("</", p);
      if (p == std::string_view::npos) {
        pos_ = in_.size();
        return;
      }
      std::size_t k = 0;
      while (k < name.size() && p + 2 + k < in_.size() && lower(in_[p + 2 + k]) == name[k]) ++k;
      const std::size_t after = p + 2 + k;
      if (k == name.size() && (after >= in_.size() || !is_name_char(in_[after]))) {
        pos_ = after;
        skip_past('>');
        return;
      }
      p += 2;
    }
  }

  void start_tag(const parsed_tag& tag) {
    const tag_info info = info_of(tag.name);
    if (in_head_ && skip_depth_ == 0 && !head_element(tag.name) && info.kind != tag_kind::head)
      in_head_ = false;
    if (info.kind == tag_kind::raw_skip) return skip_raw_text(tag.name);
    if (skip_depth_ > 0) {
      if (tag.name == skip_tag_ && !tag.self_closing) ++skip_depth_;
      return;
    }
    switch (info.kind) {
      case tag_kind::nested_skip:
        if (!tag.self_closing) {
          skip_tag_ = tag.name;
          skip_depth_ = 1;
        }
        return;
      case tag_kind::head:
        if (!tag.self_closing && !seen_body_) in_head_ = true;
        return;
      case tag_kind::body:
        in_head_ = false;
        seen_body_ = true;
        return;
      default:
        break;
    }
    if (in_head_) return;
    switch (info.kind) {
      case tag_kind::paragraph:
        out_.block(2);
        break;
      case tag_kind::line:
        out_.block(1);
        break;
      case tag_kind::br:
        out_.line_break();
        break;
      case tag_kind::list:
        out_.block(lists_.empty() ? 2 : 1);
        lists_.push_back({info.ordered, 0});
        break;
      case tag_kind::li: {
        out_.block(1);
        std::string marker(2 * (std::min<std::size_t>(lists_.size(), 8) - (lists_.empty() ? 0 : 1)),
                           ' ');
        if (!lists_.empty() && lists_.back().ordered)
          marker += std::to_string(++lists_.back().count) + ". ";
        else
          marker += "- ";
        out_.marker(std::move(marker));
        break;
      }
      case tag_kind::row:
        out_.block(1);
        first_cell_ = true;
        break;
      case tag_kind::cell:
        if (!first_cell_) out_.text(" | ");
        first_cell_ = false;
        break;
      case tag_kind::pre:
        out_.block(2);
        ++pre_depth_;
        break;
      case tag_kind::a:
        close_link();
        if (!tag.self_closing) {
          link_open_ = true;
          link_href_ = tag.href;
          link_start_ = out_.size();
        }
        break;
      case tag_kind::img:
        if (!tag.alt.empty()) out_.text(tag.alt);
        break;
      default:
        break;
    }
  }

  void end_tag(const std::string& name) {
    const tag_info info = info_of(name);
    if (skip_depth_ > 0) {
      if (name == skip_tag_ && --skip_depth_ == 0) skip_tag_.clear();
      return;
    }
    if (info.kind == tag_kind::head) {
      in_head_ = false;
      return;
    }
    if (in_head_) return;
    switch (info.kind) {
      case tag_kind::paragraph:
        out_.block(2);
        break;
      case tag_kind::line:
      case tag_kind::li:
      case tag_kind::row:
        out_.block(1);
        break;
      case tag_kind::br:
        out_.line_break();  // browsers read </br> as <br>
        break;
      case tag_kind::list:
        if (!lists_.empty()) lists_.pop_back();
        out_.block(lists_.empty() ? 2 : 1);
        break;
      case tag_kind::pre:
        if (pre_depth_ > 0) --pre_depth_;
        out_.block(2);
        break;
      case tag_kind::a:
        close_link();
        break;
      default:
        break;
    }
  }

  // "text (url)" once the link's text is known; nothing for in-page and script links.
  void close_link() {
    if (!link_open_) return;
    link_open_ = false;
    std::string href = std::move(link_href_);
    link_href_.clear();
    while (!href.empty() && is_space(href.back())) href.pop_back();
    href.erase(0, std::min(href.size(), href.find_first_not_of(" \t\r\n\f")));
    if (href.empty() || href.front() == '#') return;
    std::string scheme;
    for (char c : href.substr(0, 11)) scheme += lower(c);
    if (scheme.starts_with("javascript:")) return;
    std::string_view text = out_.since(link_start_);
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    if (text == href) return;
    out_.text(text.empty() ? href : " (" + href + ")");
  }

  struct list_state {
    bool ordered = false;
    int count = 0;
  };

  std::string_view in_;
  std::size_t pos_ = 0;
  text_writer out_;
  std::string skip_tag_;
  int skip_depth_ = 0;
  bool in_head_ = false;
  bool seen_body_ = false;
  int pre_depth_ = 0;
  bool first_cell_ = true;
  std::vector<list_state> lists_;
  bool link_open_ = false;
  std::string link_href_;
  std::size_t link_start_ = 0;
};

}  // namespace

std::string html_to_text(std::string_view html) { return converter(html).run(); }

}  // namespace durar
