#include "backends/tencentcloud/http_client.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"

namespace cvm::tencentcloud {
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// curl_global_init once per process, before any handle.
void InitCurlOnce() {
  static const bool initialized = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialized;
}

}  // namespace

HttpClient::HttpClient(absl::Duration connect_timeout, absl::Duration request_timeout)
    : connect_timeout_(connect_timeout), request_timeout_(request_timeout) {
  InitCurlOnce();
}

HttpClient::~HttpClient() {
  absl::MutexLock lock(&mu_);
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpClient::Borrow() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpClient::Return(void* handle) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(handle);
}

absl::StatusOr<HttpResponse> HttpClient::Post(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body, absl::Duration timeout) {
  return Perform(url, headers, &body, timeout);
}

absl::StatusOr<HttpResponse> HttpClient::Get(const std::string& url) {
  return Perform(url, {}, nullptr, absl::InfiniteDuration());
}

absl::StatusOr<HttpResponse> HttpClient::Perform(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string* body, absl::Duration timeout) {
  const bool callers_timeout = timeout < request_timeout_;
  timeout = std::max(std::min(timeout, request_timeout_), absl::Milliseconds(1));
  CURL* curl = static_cast<CURL*>(Borrow());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_reset(curl);  // keeps the connection cache
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, absl::StrCat(name, ": ", value).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  HttpResponse response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(std::min(connect_timeout_, timeout))));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(list);
  Return(curl);
  if (code == CURLE_OPERATION_TIMEDOUT && callers_timeout) {
    return absl::DeadlineExceededError(absl::StrCat(
        body != nullptr ? "POST " : "GET ", url, ": the caller's deadline passed (",
        absl::FormatDuration(timeout), ")"));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(body != nullptr ? "POST " : "GET ", url, ": ",
                                               curl_easy_strerror(code)));
  }
  return response;
}

}  // namespace cvm::tencentcloud
