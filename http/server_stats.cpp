#include "http/server_stats.hpp"

#include "http/timeouts.hpp"

namespace basehttp {

ParseErrorKind parse_error_kind(int status) {
  switch (status) {
    case 400:
      return ParseErrorKind::kBadRequest;
    case 413:
      return ParseErrorKind::kBodyTooLarge;
    case 414:
      return ParseErrorKind::kTargetTooLong;
    case 417:
      return ParseErrorKind::kExpectationFailed;
    case 431:
      return ParseErrorKind::kHeaderTooLarge;
    case 501:
      return ParseErrorKind::kNotImplemented;
    case 505:
      return ParseErrorKind::kVersionUnsupported;
    default:
      return ParseErrorKind::kOther;
  }
}

std::string_view name_of(ParseErrorKind kind) {
  switch (kind) {
    case ParseErrorKind::kBadRequest:
      return "bad_request";
    case ParseErrorKind::kBodyTooLarge:
      return "body_too_large";
    case ParseErrorKind::kTargetTooLong:
      return "target_too_long";
    case ParseErrorKind::kHeaderTooLarge:
      return "header_too_large";
    case ParseErrorKind::kExpectationFailed:
      return "expectation_failed";
    case ParseErrorKind::kNotImplemented:
      return "not_implemented";
    case ParseErrorKind::kVersionUnsupported:
      return "version_unsupported";
    default:
      return "other";
  }
}

ServerStats& ServerStats::operator+=(const ServerStats& other) {
  connections_accepted += other.connections_accepted;
  connections_open += other.connections_open;
  requests += other.requests;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  tls_handshakes += other.tls_handshakes;
  log_lines_dropped += other.log_lines_dropped;
  tls_ktls_send_connections += other.tls_ktls_send_connections;
  for (size_t i = 0; i < responses_by_class.size(); ++i)
    responses_by_class[i] += other.responses_by_class[i];
  for (size_t i = 0; i < parse_errors.size(); ++i)
    parse_errors[i] += other.parse_errors[i];
  for (size_t i = 0; i < timeouts.size(); ++i)
    timeouts[i] += other.timeouts[i];
  header_latency += other.header_latency;
  handler_latency += other.handler_latency;
  response_latency += other.response_latency;
  return *this;
}

std::string_view name_of(TimeoutKind kind) {
  for (const TimeoutRow& row : kTimeoutRows) {
    if (row.counted == kind) return row.name;
  }
  return "other";
}

}  // namespace basehttp
