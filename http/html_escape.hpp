// HTML escaping for text placed in a page basehttp writes: the error page
// of send_error() and the directory listing. The one rule for both, as
// Python's html.escape(text, quote=False) that http.server uses there:
// &, < and > become entities; quotes stay (the text is never an attribute).
// Pure function; any thread.
#pragma once

#include <string>
#include <string_view>

namespace basehttp {

/// `text` with &, < and > as &amp;, &lt; and &gt;.
std::string html_escape(std::string_view text);
/// The same, appended to `out`.
void append_html_escaped(std::string_view text, std::string& out);

}  // namespace basehttp
