#include "plugins/policies/quote_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace cvm {
namespace {

using provisioning::v1::InstanceSpec;

// Rule 3: equal specs give equal keys (deterministic: tag order as given,
// no map order to vary), and user data is left out.
std::string KeyOf(const std::string& backend_name, const InstanceSpec& spec, int count) {
  InstanceSpec priced = spec;
  priced.clear_user_data();
  priced.clear_user_data_sha256();
  std::string key = absl::StrCat(backend_name.size(), ":", backend_name, "/", count, "/");
  {
    google::protobuf::io::StringOutputStream stream(&key);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    priced.SerializeToCodedStream(&coded);
  }
  return key;
}

}  // namespace

absl::StatusOr<provisioning::v1::Quote> QuoteCache::Get(const std::string& backend_name,
                                                        Backend& backend, const InstanceSpec& spec,
                                                        int count) {
  const std::string key = KeyOf(backend_name, spec, count);
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && clock_->Now() < it->second.expires) return it->second.quote;
  }
  absl::StatusOr<provisioning::v1::Quote> quote = backend.Quote(spec, count);
  if (!quote.ok()) return quote.status();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (entries_.find(key) == entries_.end()) EvictLocked(now);
  entries_[key] = Entry{*quote, now + ttl_};
  return quote;
}

size_t QuoteCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

void QuoteCache::EvictLocked(absl::Time now) {
  if (entries_.size() < max_entries_) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.expires ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < max_entries_ || entries_.empty()) return;
  entries_.erase(std::min_element(
      entries_.begin(), entries_.end(),
      [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; }));
}

}  // namespace cvm
