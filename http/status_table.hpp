// StatusTable: Python's `responses`: for each status code its reason phrase
// and a one-line explanation, used in status lines and error pages. Starts
// with every code in the IANA registry; an application may change or add
// entries through ServerOptions::responses. Immutable while a server runs,
// so any thread may read it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace basehttp {

class StatusTable {
 public:
  /// Codes the table can hold: 100 to 599.
  static constexpr int kFirstCode = 100;
  static constexpr int kLastCode = 599;

  /// The registered codes with basehttp's own reasons and explanations.
  static const StatusTable& standard();

  /// An empty table; add entries with set().
  StatusTable();

  /// Adds or replaces `code` (100-599; others are ignored).
  void set(int code, std::string_view reason, std::string_view explain);
  bool contains(int code) const;
  /// The reason phrase, or "" for an unknown code.
  std::string_view reason(int code) const;
  /// The one-line explanation, or "" for an unknown code.
  std::string_view explain(int code) const;
  /// Every code present, ascending.
  std::vector<int> codes() const;

 private:
  struct Entry {
    bool present = false;
    std::string reason;
    std::string explain;
  };
  std::vector<Entry> entries_;  // index: code - kFirstCode
};

}  // namespace basehttp
