#include "service/field_checks.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cvm {
namespace {

bool IsIdChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

}  // namespace

bool CheckId(Violations& v, const std::string& field, const std::string& value, bool required,
             size_t max) {
  if (value.empty()) {
    if (required) v.Add(field, "is required");
    return false;
  }
  if (value.size() > max) {
    v.Add(field, absl::StrCat("must be at most ", max, " characters"));
    return false;
  }
  for (char c : value) {
    if (!IsIdChar(c)) {
      v.Add(field, "may contain only letters, digits, '.', '_' and '-'");
      return false;
    }
  }
  return true;
}

void CheckIdList(Violations& v, const std::string& field,
                 const google::protobuf::RepeatedPtrField<std::string>& ids, int max) {
  if (ids.size() > max) v.Add(field, absl::StrCat("at most ", max, " allowed"));
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    CheckId(v, item, ids[i], /*required=*/true);
    if (!ids[i].empty() && !seen.insert(ids[i]).second) v.Add(item, "is a duplicate");
  }
}

}  // namespace cvm
