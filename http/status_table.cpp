#include "http/status_table.hpp"

namespace basehttp {
namespace {

struct Registered {
  int code;
  const char* reason;
  const char* explain;
};

// The IANA HTTP Status Code Registry (RFC 9110 and the documents it
// lists), without the unassigned and "(Unused)" codes 306 and 418.
constexpr Registered kRegistered[] = {
    {100, "Continue", "The request headers were accepted; send the request body"},
    {101, "Switching Protocols", "The server switches to the protocol named in Upgrade"},
    {102, "Processing", "The request was received and is still being worked on"},
    {103, "Early Hints", "Header fields that the final response is likely to carry"},
    {200, "OK", "The request succeeded"},
    {201, "Created", "A new resource was created; its location is in the response"},
    {202, "Accepted", "The request was accepted for processing, which has not finished"},
    {203, "Non-Authoritative Information", "The content was modified by a transforming proxy"},
    {204, "No Content", "The request succeeded and there is no content to send"},
    {205, "Reset Content", "The request succeeded; reset the view that sent it"},
    {206, "Partial Content", "Only the requested ranges of the representation are sent"},
    {207, "Multi-Status", "The body holds a status for each of several resources"},
    {208, "Already Reported", "The members of this binding were listed earlier"},
    {226, "IM Used", "The response is the result of instance manipulations"},
    {300, "Multiple Choices", "The target has several representations to choose from"},
    {301, "Moved Permanently", "The resource has a new permanent URI, given in Location"},
    {302, "Found", "The resource is for now at the URI given in Location"},
    {303, "See Other", "The answer is at the URI given in Location; fetch it with GET"},
    {304, "Not Modified", "The cached copy is still current"},
    {305, "Use Proxy", "The resource must be reached through the proxy given in Location"},
    {307, "Temporary Redirect", "Repeat the same request at the URI given in Location"},
    {308, "Permanent Redirect", "Repeat this and future requests at the URI in Location"},
    {400, "Bad Request", "The request is malformed or cannot be understood"},
    {401, "Unauthorized", "The request lacks valid authentication credentials"},
    {402, "Payment Required", "Reserved for future use"},
    {403, "Forbidden", "The server understood the request and refuses it"},
    {404, "Not Found", "Nothing matches the given URI"},
    {405, "Method Not Allowed", "The method is not allowed for this resource"},
    {406, "Not Acceptable", "No representation matches the Accept header fields"},
    {407, "Proxy Authentication Required", "Authenticate with the proxy first"},
    {408, "Request Timeout", "The request did not arrive in the time the server waits"},
    {409, "Conflict", "The request conflicts with the current state of the resource"},
    {410, "Gone", "The resource is no longer here and will not come back"},
    {411, "Length Required", "The request needs a Content-Length"},
    {412, "Precondition Failed", "A precondition in the request header fields is false"},
    {413, "Content Too Large", "The request body is larger than the server accepts"},
    {414, "URI Too Long", "The request target is longer than the server accepts"},
    {415, "Unsupported Media Type", "The body's media type or coding is not supported"},
    {416, "Range Not Satisfiable", "None of the requested ranges overlap the representation"},
    {417, "Expectation Failed", "The expectation in the Expect header cannot be met"},
    {421, "Misdirected Request", "This server cannot answer for the requested authority"},
    {422, "Unprocessable Content", "The content is well formed but cannot be processed"},
    {423, "Locked", "The resource is locked"},
    {424, "Failed Dependency", "An action this request depends on failed"},
    {425, "Too Early", "The request might be replayed; send it later"},
    {426, "Upgrade Required", "Switch to the protocol named in Upgrade and retry"},
    {428, "Precondition Required", "The request must be conditional"},
    {429, "Too Many Requests", "Too many requests in a given time"},
    {431, "Request Header Fields Too Large", "The header fields are too large or too many"},
    {451, "Unavailable For Legal Reasons", "Access is denied for legal reasons"},
    {500, "Internal Server Error", "The server met a condition that kept it from answering"},
    {501, "Not Implemented", "The server does not support the function the request needs"},
    {502, "Bad Gateway", "An upstream server sent an invalid response"},
    {503, "Service Unavailable", "The server cannot handle the request right now"},
    {504, "Gateway Timeout", "An upstream server did not answer in time"},
    {505, "HTTP Version Not Supported", "The request's major HTTP version is not supported"},
    {506, "Variant Also Negotiates", "Content negotiation is misconfigured on the server"},
    {507, "Insufficient Storage", "The server cannot store what the request needs"},
    {508, "Loop Detected", "The server found an infinite loop while processing"},
    {510, "Not Extended", "Further extensions to the request are needed"},
    {511, "Network Authentication Required", "Authenticate to gain network access"},
};

}  // namespace

StatusTable::StatusTable() : entries_(kLastCode - kFirstCode + 1) {}

const StatusTable& StatusTable::standard() {
  static const StatusTable table = [] {
    StatusTable built;
    for (const Registered& entry : kRegistered)
      built.set(entry.code, entry.reason, entry.explain);
    return built;
  }();
  return table;
}

void StatusTable::set(int code, std::string_view reason, std::string_view explain) {
  if (code < kFirstCode || code > kLastCode) return;
  Entry& entry = entries_[static_cast<size_t>(code - kFirstCode)];
  entry.present = true;
  entry.reason.assign(reason);
  entry.explain.assign(explain);
}

bool StatusTable::contains(int code) const {
  return code >= kFirstCode && code <= kLastCode &&
         entries_[static_cast<size_t>(code - kFirstCode)].present;
}

std::string_view StatusTable::reason(int code) const {
  return contains(code) ? std::string_view(entries_[static_cast<size_t>(code - kFirstCode)].reason)
                        : std::string_view();
}

std::string_view StatusTable::explain(int code) const {
  return contains(code) ? std::string_view(entries_[static_cast<size_t>(code - kFirstCode)].explain)
                        : std::string_view();
}

std::vector<int> StatusTable::codes() const {
  std::vector<int> result;
  for (int code = kFirstCode; code <= kLastCode; ++code) {
    if (contains(code)) result.push_back(code);
  }
  return result;
}

}  // namespace basehttp
