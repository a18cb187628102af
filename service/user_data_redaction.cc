#include "service/user_data_redaction.h"

#include <openssl/evp.h>

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"

namespace cvm {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using provisioning::v1::InstanceSpec;

// Whether a message of `type` can hold an InstanceSpec at some depth, so the
// walk skips the rest (timestamps, instances, error details). `visiting`
// breaks cycles of recursive types.
bool HoldsSpecUncached(const Descriptor* type, std::vector<const Descriptor*>& visiting) {
  if (type == InstanceSpec::descriptor()) return true;
  for (const Descriptor* seen : visiting) {
    if (seen == type) return false;
  }
  visiting.push_back(type);
  bool holds = false;
  for (int i = 0; i < type->field_count() && !holds; ++i) {
    const Descriptor* field_type = type->field(i)->message_type();
    holds = field_type != nullptr && HoldsSpecUncached(field_type, visiting);
  }
  visiting.pop_back();
  return holds;
}

bool HoldsSpec(const Descriptor* type) {
  ABSL_CONST_INIT static absl::Mutex mu(absl::kConstInit);
  static auto* const cache = new absl::flat_hash_map<const Descriptor*, bool>();
  absl::MutexLock lock(&mu);
  auto [it, inserted] = cache->try_emplace(type, false);
  if (inserted) {
    std::vector<const Descriptor*> visiting;
    it->second = HoldsSpecUncached(type, visiting);
  }
  return it->second;
}

void RedactSpec(InstanceSpec* spec) {
  if (spec->user_data().empty()) return;
  spec->set_user_data_sha256(UserDataSha256(spec->user_data()));
  spec->clear_user_data();
}

}  // namespace

std::string UserDataSha256(const std::string& user_data) {
  std::string decoded;
  if (!absl::Base64Unescape(user_data, &decoded)) decoded = user_data;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(decoded.data(), decoded.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

void RedactUserData(Message* message) {
  if (message->GetDescriptor() == InstanceSpec::descriptor()) {
    InstanceSpec* spec = google::protobuf::DynamicCastToGenerated<InstanceSpec>(message);
    if (spec != nullptr) {
      RedactSpec(spec);
    } else {  // a dynamic message of the type: cleared, unhashed
      message->GetReflection()->ClearField(message, InstanceSpec::descriptor()->FindFieldByNumber(
                                                        InstanceSpec::kUserDataFieldNumber));
    }
    return;
  }
  if (!HoldsSpec(message->GetDescriptor())) return;
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->message_type() == nullptr || !HoldsSpec(field->message_type())) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        RedactUserData(reflection->MutableRepeatedMessage(message, field, i));
      }
    } else {
      RedactUserData(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace cvm
