// durar::result<T>: a value or a durar::error, shaped like std::expected<T, error>
// so that a later `template <class T> using result = std::expected<T, error>` swaps it.
#pragma once

#include <durar/error.hpp>

#include <cassert>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace durar {

template <class E>
class unexpected {
 public:
  explicit unexpected(E e) : error_(std::move(e)) {}
  [[nodiscard]] const E& error() const& noexcept { return error_; }
  [[nodiscard]] E& error() & noexcept { return error_; }
  [[nodiscard]] E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

// Thrown only by value() on an error result; the no-throw path is has_value()/error().
class bad_result_access : public std::runtime_error {
 public:
  explicit bad_result_access(const durar::error& e) : std::runtime_error(e.describe()), error_(e) {}
  [[nodiscard]] const durar::error& error() const noexcept { return error_; }

 private:
  durar::error error_;
};

// Shorthand for returning a failure: `return durar::fail(errc::not_found, "no such model");`
inline unexpected<durar::error> fail(errc code, std::string message) {
  return unexpected<durar::error>(durar::error(code, std::move(message)));
}
inline unexpected<durar::error> fail(durar::error e) {
  return unexpected<durar::error>(std::move(e));
}

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = durar::error;

  result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT(implicit)
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(implicit)
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, result>) result(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}  // NOLINT(implicit)
  result(const unexpected<durar::error>& e) : v_(std::in_place_index<1>, e.error()) {}  // NOLINT
  result(unexpected<durar::error>&& e)
      : v_(std::in_place_index<1>, std::move(e).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }

  T& operator*() & noexcept {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  const T& operator*() const& noexcept {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  T&& operator*() && noexcept {
    assert(has_value());
    return std::move(*std::get_if<0>(&v_));
  }
  T* operator->() noexcept {
    assert(has_value());
    return std::get_if<0>(&v_);
  }
  const T* operator->() const noexcept {
    assert(has_value());
    return std::get_if<0>(&v_);
  }

  [[nodiscard]] const durar::error& error() const& noexcept {
    assert(!has_value());
    return *std::get_if<1>(&v_);
  }
  [[nodiscard]] durar::error&& error() && noexcept {
    assert(!has_value());
    return std::move(*std::get_if<1>(&v_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!has_value()) throw bad_result_access(std::get<1>(v_));
  }
  std::variant<T, durar::error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  using error_type = durar::error;

  result() = default;
  result(const unexpected<durar::error>& e) : error_(e.error()), failed_(true) {}        // NOLINT
  result(unexpected<durar::error>&& e) : error_(std::move(e).error()), failed_(true) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (failed_) throw bad_result_access(error_);
  }
  [[nodiscard]] const durar::error& error() const& noexcept { return error_; }
  [[nodiscard]] durar::error&& error() && noexcept { return std::move(error_); }

 private:
  durar::error error_;
  bool failed_ = false;
};

}  // namespace durar
