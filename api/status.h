#pragma once

// A small success-or-reason value for fallible API operations (leveldb-style
// Status). Cheap to copy when ok.

#include <string>
#include <utility>

namespace picket::api {

class [[nodiscard]] Status {
 public:
  // Success.
  Status() = default;
  static Status Ok() { return Status(); }
  // A failure with a human-readable reason (shown to API clients).
  static Status Error(std::string message) { return Status(std::move(message), true); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

}  // namespace picket::api
