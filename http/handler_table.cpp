#include "http/handler_table.hpp"

#include "http/byte_scan.hpp"

namespace basehttp {

HandlerTable& HandlerTable::on(std::string_view method, Handler handler) {
  for (auto& entry : entries_) {
    if (entry.first == method) {
      entry.second = std::move(handler);
      return *this;
    }
  }
  entries_.emplace_back(std::string(method), std::move(handler));
  return *this;
}

const HandlerTable::Handler* HandlerTable::find(std::string_view method) const {
  for (const auto& entry : entries_) {
    if (entry.first.size() == method.size() &&
        byte_scan::same(entry.first.data(), method.data(), method.size())) {
      return &entry.second;
    }
  }
  return nullptr;
}

std::vector<std::string> HandlerTable::methods() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const auto& entry : entries_)
    names.push_back(entry.first);
  return names;
}

}  // namespace basehttp
