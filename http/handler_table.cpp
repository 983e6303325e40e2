#include "http/handler_table.hpp"

#include "http/byte_scan.hpp"

namespace basehttp {

HandlerTable& HandlerTable::on(std::string_view method, Handler handler) {
  return add(method, std::move(handler), false);
}

HandlerTable& HandlerTable::on_streaming(std::string_view method, Handler handler) {
  return add(method, std::move(handler), true);
}

HandlerTable& HandlerTable::add(std::string_view method, Handler handler, bool streams_body) {
  for (Entry& entry : entries_) {
    if (entry.method == method) {
      entry.handler = std::move(handler);
      entry.streams_body = streams_body;
      return *this;
    }
  }
  if (method == "GET") get_index_ = static_cast<int>(entries_.size());
  entries_.push_back(Entry{std::string(method), std::move(handler), streams_body});
  return *this;
}

const HandlerTable::Entry* HandlerTable::scan(std::string_view method) const {
  for (const Entry& entry : entries_) {
    if (entry.method.size() == method.size() &&
        byte_scan::same(entry.method.data(), method.data(), method.size())) {
      return &entry;
    }
  }
  return nullptr;
}

const HandlerTable::Handler* HandlerTable::find(std::string_view method) const {
  const Entry* entry = find_entry(method);
  return entry != nullptr ? &entry->handler : nullptr;
}

std::vector<std::string> HandlerTable::methods() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const auto& entry : entries_)
    names.push_back(entry.method);
  return names;
}

}  // namespace basehttp
