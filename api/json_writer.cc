#include "api/json_writer.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace picket::api {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

bool IsContinuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

// Length of the valid UTF-8 sequence starting at s[i] (i < s.size(), s[i] >= 0x80),
// or 0 if the bytes there are not valid UTF-8 (overlongs and surrogates included).
std::size_t ValidSequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t left = s.size() - i;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return left >= 2 && IsContinuation(at(1)) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return b1 >= lo && b1 <= hi && IsContinuation(at(2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return b1 >= lo && b1 <= hi && IsContinuation(at(2)) && IsContinuation(at(3)) ? 4 : 0;
  }
  return 0;
}

double Finite(double value) {
  if (std::isinf(value)) {
    return value > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
  }
  return value;
}

void AppendDigits(std::string& out, unsigned value, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  auto flush_run = [&] { out.append(s.data() + run_start, i - run_start); };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = ValidSequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush_run();
      out.append(kReplacementChar);
      ++i;
      run_start = i;
      continue;
    }
    flush_run();
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
    ++i;
    run_start = i;
  }
  flush_run();
  out.push_back('"');
}

void AppendJsonNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("null");
    return;
  }
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof(buf), Finite(value));
  out.append(buf, result.ptr);
}

void AppendFixed3(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("null");
    return;
  }
  char buf[400];  // the largest double in fixed notation needs 309 digits + 4
  const auto result =
      std::to_chars(buf, buf + sizeof(buf), Finite(value), std::chars_format::fixed, 3);
  out.append(buf, result.ptr);
}

void AppendUint(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, result.ptr);
}

void AppendInt(std::string& out, std::int64_t value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, result.ptr);
}

void AppendRfc3339(std::string& out, std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  // Clamp to years 1970..9999 so the fixed-width format always holds.
  constexpr sys_days kMin = sys_days{year{1970} / January / 1};
  constexpr sys_days kMax = sys_days{year{9999} / December / 31};
  auto ms = time_point_cast<milliseconds>(time);
  if (ms < kMin) ms = time_point_cast<milliseconds>(sys_time<milliseconds>(kMin));
  if (ms >= kMax + days{1}) ms = time_point_cast<milliseconds>(kMax + days{1}) - milliseconds{1};
  const sys_days day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{ms - day};
  AppendDigits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out.push_back('-');
  AppendDigits(out, static_cast<unsigned>(ymd.month()), 2);
  out.push_back('-');
  AppendDigits(out, static_cast<unsigned>(ymd.day()), 2);
  out.push_back('T');
  AppendDigits(out, static_cast<unsigned>(tod.hours().count()), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<unsigned>(tod.minutes().count()), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<unsigned>(tod.seconds().count()), 2);
  out.push_back('.');
  AppendDigits(out, static_cast<unsigned>(tod.subseconds().count()), 3);
  out.push_back('Z');
}

}  // namespace picket::api
