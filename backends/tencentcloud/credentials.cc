#include "backends/tencentcloud/credentials.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cvm::tencentcloud {
namespace {

class Fixed : public CredentialsProvider {
 public:
  explicit Fixed(Credentials credentials) : credentials_(std::move(credentials)) {}
  absl::StatusOr<Credentials> Get() override { return credentials_; }

 private:
  const Credentials credentials_;
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// secret_id / secret_key of the [default] section of an INI file.
absl::StatusOr<Credentials> FromProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no profile file at ", path));
  Credentials credentials;
  std::string line, section;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = std::string(absl::StripAsciiWhitespace(text.substr(1, text.size() - 2)));
      continue;
    }
    const size_t eq = text.find('=');
    if (section != "default" || eq == absl::string_view::npos) continue;
    const std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(text.substr(eq + 1)));
    if (key == "secret_id") credentials.secret_id = value;
    if (key == "secret_key") credentials.secret_key = value;
  }
  if (credentials.secret_id.empty() || credentials.secret_key.empty()) {
    return absl::NotFoundError(
        absl::StrCat("profile ", path, " has no [default] secret_id and secret_key"));
  }
  return credentials;
}

class Chain : public CredentialsProvider {
 public:
  explicit Chain(std::string profile_path) : profile_path_(std::move(profile_path)) {}

  absl::StatusOr<Credentials> Get() override {
    Credentials env{Env("TENCENTCLOUD_SECRET_ID"), Env("TENCENTCLOUD_SECRET_KEY"),
                    Env("TENCENTCLOUD_SESSION_TOKEN")};
    if (!env.secret_id.empty() && !env.secret_key.empty()) return env;
    const std::string path = profile_path_.empty()
                                 ? absl::StrCat(Env("HOME"), "/.tencentcloud/credentials")
                                 : profile_path_;
    absl::StatusOr<Credentials> profile = FromProfile(path);
    if (profile.ok()) return profile;
    return absl::UnauthenticatedError(absl::StrCat(
        "no Tencent Cloud credentials: set TENCENTCLOUD_SECRET_ID and "
        "TENCENTCLOUD_SECRET_KEY, or write them to ",
        path, " (", profile.status().message(), ")"));
  }

 private:
  const std::string profile_path_;
};

}  // namespace

std::unique_ptr<CredentialsProvider> StaticCredentialsProvider(Credentials credentials) {
  return std::make_unique<Fixed>(std::move(credentials));
}

std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(const std::string& profile_path) {
  return std::make_unique<Chain>(profile_path);
}

}  // namespace cvm::tencentcloud
