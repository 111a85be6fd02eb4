// Compile-time help for listing the members of the plan structs. Every plan struct has a
// visit_fields() overload that names each member in order (plan_fields.hpp); the plan's
// binary form, its layout fingerprint and any dump are all built from those lists, so there
// is exactly one list per struct. field_count<T>() counts an aggregate's members without
// that list, and a static_assert beside each list makes a member that was added to a struct
// but not to its list a compile error instead of a silently unsaved setting.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

namespace harden::plan_fields {

// Converts to anything; only ever used in unevaluated brace-initialisation, never defined.
struct AnyField {
  template <class T>
  operator T() const noexcept;  // NOLINT(google-explicit-constructor)
};

// The number of members of aggregate T: the largest N for which T{AnyField x N} is valid.
template <class T, class... Fields>
consteval std::size_t field_count() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return field_count<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// `S` is T or const T: one visit_fields() serves both the writer (const) and the reader.
template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

}  // namespace harden::plan_fields
