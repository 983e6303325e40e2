// TempFolder: a folder of the test's own, made by mkdtemp under $TMPDIR
// (or /tmp) and removed with everything in it when the object goes away.
// A name no other run, user or test can hold or have left behind: tests
// never write to a fixed path under /tmp. Any thread; not shared.
#pragma once

#include <string>
#include <string_view>

namespace basehttp::testing {

class TempFolder {
 public:
  /// Makes "<tmp>/basehttp-<tag>-XXXXXX"; aborts the test binary if it cannot.
  explicit TempFolder(std::string_view tag = "test");
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  /// The folder, without a trailing slash.
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string file(std::string_view name) const;

 private:
  std::string path_;
};

/// The whole of the file at `path` (empty when it cannot be read).
std::string read_whole_file(const std::string& path);

}  // namespace basehttp::testing
