#include "backends/tencentcloud/credentials.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "backends/tencentcloud/http_client.h"
#include "nlohmann/json.hpp"

namespace cvm::tencentcloud {
namespace {

using Json = nlohmann::json;

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
  explicit Chain(ChainOptions options)
      : options_(std::move(options)), http_(absl::Seconds(1), absl::Seconds(3)) {}

  absl::StatusOr<Credentials> Get() override {
    Credentials env{Env("TENCENTCLOUD_SECRET_ID"), Env("TENCENTCLOUD_SECRET_KEY"),
                    Env("TENCENTCLOUD_SESSION_TOKEN")};
    if (!env.secret_id.empty() && !env.secret_key.empty()) return env;
    const std::string path = options_.profile_path.empty()
                                 ? absl::StrCat(Env("HOME"), "/.tencentcloud/credentials")
                                 : options_.profile_path;
    absl::StatusOr<Credentials> profile = FromProfile(path);
    if (profile.ok()) return profile;

    absl::MutexLock lock(&mu_);
    if (cached_.has_value() &&
        options_.clock->Now() < cached_->expires - options_.refresh_before) {
      return *cached_;
    }
    std::vector<std::string> tried = {
        "environment (TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY)",
        std::string(profile.status().message())};
    for (auto source : {&Chain::FromCvmRole, &Chain::FromTkeOidc}) {
      absl::StatusOr<Credentials> temporary = (this->*source)();
      if (temporary.ok()) {
        cached_ = *temporary;
        return *temporary;
      }
      tried.push_back(std::string(temporary.status().message()));
    }
    return absl::UnauthenticatedError(
        absl::StrCat("no Tencent Cloud credentials; tried: ", absl::StrJoin(tried, "; ")));
  }

 private:
  absl::StatusOr<Credentials> FromCvmRole() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string base = absl::StrCat(absl::StripSuffix(options_.metadata_endpoint, "/"),
                                          "/latest/meta-data/cam/security-credentials/");
    absl::StatusOr<HttpResponse> roles = http_.Get(base);
    if (!roles.ok() || roles->status != 200) {
      return absl::UnavailableError(absl::StrCat("CVM role: no metadata service at ", base));
    }
    const std::string role(absl::StripAsciiWhitespace(
        absl::string_view(roles->body).substr(0, roles->body.find('\n'))));
    if (role.empty()) return absl::NotFoundError("CVM role: the instance has no role");
    absl::StatusOr<HttpResponse> answer = http_.Get(base + role);
    if (!answer.ok() || answer->status != 200) {
      return absl::UnavailableError(absl::StrCat("CVM role ", role, ": no credentials"));
    }
    Json json = Json::parse(answer->body, nullptr, false);
    if (json.is_discarded() || json.value("Code", "") != "Success") {
      return absl::UnavailableError(absl::StrCat("CVM role ", role, ": unexpected answer"));
    }
    return Credentials{json.value("TmpSecretId", ""), json.value("TmpSecretKey", ""),
                       json.value("Token", ""),
                       absl::FromUnixSeconds(json.value("ExpiredTime", int64_t{0}))};
  }

  absl::StatusOr<Credentials> FromTkeOidc() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string provider = Env("TKE_PROVIDER_ID");
    const std::string token_file = Env("TKE_WEB_IDENTITY_TOKEN_FILE");
    const std::string role_arn = Env("TKE_ROLE_ARN");
    if (provider.empty() || token_file.empty() || role_arn.empty()) {
      return absl::NotFoundError(
          "TKE OIDC: TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE and TKE_ROLE_ARN not set");
    }
    std::ifstream in(token_file);
    std::stringstream token;
    token << in.rdbuf();
    if (!in) return absl::NotFoundError(absl::StrCat("TKE OIDC: cannot read ", token_file));
    const int64_t now = absl::ToUnixSeconds(options_.clock->Now());
    const Json body = {{"ProviderId", provider},
                       {"WebIdentityToken", std::string(absl::StripAsciiWhitespace(token.str()))},
                       {"RoleArn", role_arn},
                       {"RoleSessionName", absl::StrCat("cvm-provisioner-", now)},
                       {"DurationSeconds", 7200}};
    absl::StatusOr<HttpResponse> answer = http_.Post(
        absl::StrCat(absl::StripSuffix(options_.sts_endpoint, "/"), "/"),
        {{"Authorization", "SKIP"},
         {"Content-Type", "application/json"},
         {"X-TC-Action", "AssumeRoleWithWebIdentity"},
         {"X-TC-Version", "2018-08-13"},
         {"X-TC-Region", Env("TKE_REGION")},
         {"X-TC-Timestamp", absl::StrCat(now)}},
        body.dump());
    if (!answer.ok() || answer->status != 200) {
      return absl::UnavailableError("TKE OIDC: STS is unreachable");
    }
    Json json = Json::parse(answer->body, nullptr, false);
    const Json response = json.is_discarded() ? Json() : json.value("Response", Json());
    if (!response.is_object() || response.contains("Error") ||
        !response.contains("Credentials")) {
      return absl::UnauthenticatedError(absl::StrCat(
          "TKE OIDC: STS refused: ",
          response.is_object() ? response.value("/Error/Code"_json_pointer, "no credentials")
                               : "malformed answer"));
    }
    const Json& c = response["Credentials"];
    return Credentials{c.value("TmpSecretId", ""), c.value("TmpSecretKey", ""),
                       c.value("Token", ""),
                       absl::FromUnixSeconds(response.value("ExpiredTime", int64_t{0}))};
  }

  const ChainOptions options_;
  HttpClient http_;
  absl::Mutex mu_;
  std::optional<Credentials> cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<CredentialsProvider> StaticCredentialsProvider(Credentials credentials) {
  return std::make_unique<Fixed>(std::move(credentials));
}

std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(ChainOptions options) {
  return std::make_unique<Chain>(std::move(options));
}

}  // namespace cvm::tencentcloud
