// Symbol visibility for libdurar's public API.
#pragma once

#if defined(DURAR_STATIC)
#define DURAR_API
#elif defined(_WIN32)
#if defined(DURAR_BUILDING)
#define DURAR_API __declspec(dllexport)
#else
#define DURAR_API __declspec(dllimport)
#endif
#else
#define DURAR_API __attribute__((visibility("default")))
#endif

// For the private parts of exported classes (their `struct impl`): a nested class takes its
// enclosing class's visibility unless told otherwise.
#if defined(_WIN32) || defined(DURAR_STATIC)
#define DURAR_LOCAL
#else
#define DURAR_LOCAL __attribute__((visibility("hidden")))
#endif
