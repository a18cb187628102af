#include "cli/error_format.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace cvm::cli {
namespace {

// Appends "  " + text + "\n".
void Line(std::string& out, absl::string_view text) { absl::StrAppend(&out, "  ", text, "\n"); }

// `detail` formatted when it holds a T; false otherwise.
template <typename T>
bool Format(const google::protobuf::Any& detail, const std::function<void(const T&)>& format) {
  T message;
  if (!detail.Is<T>() || !detail.UnpackTo(&message)) return false;
  format(message);
  return true;
}

std::string DurationText(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
}

// Formatters in display order; each returns true when it handled `any`.
std::vector<std::function<bool(const google::protobuf::Any&, std::string&)>> Formatters() {
  using google::protobuf::Any;
  return {
      [](const Any& any, std::string& out) {
        return Format<google::rpc::BadRequest>(any, [&](const auto& bad) {
          for (const auto& v : bad.field_violations()) {
            Line(out, absl::StrCat("field ", v.field(), ": ", v.description()));
          }
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::PreconditionFailure>(any, [&](const auto& failure) {
          for (const auto& v : failure.violations()) {
            Line(out, absl::StrCat("precondition ", v.type(), " failed for ", v.subject(), ": ",
                                   v.description()));
          }
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::QuotaFailure>(any, [&](const auto& failure) {
          for (const auto& v : failure.violations()) {
            Line(out, absl::StrCat("quota exceeded for ", v.subject(), ": ", v.description()));
          }
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::RetryInfo>(any, [&](const auto& retry) {
          Line(out, absl::StrCat("retry after ", DurationText(retry.retry_delay())));
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::ErrorInfo>(any, [&](const auto& info) {
          std::string line = absl::StrCat("reason ", info.reason());
          if (!info.domain().empty()) absl::StrAppend(&line, " (", info.domain(), ")");
          Line(out, line);
          // Sorted, so the output is stable.
          std::map<std::string, std::string> sorted(info.metadata().begin(), info.metadata().end());
          for (const auto& [key, value] : sorted) Line(out, absl::StrCat("  ", key, ": ", value));
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::RequestInfo>(any, [&](const auto& info) {
          Line(out, absl::StrCat("request id ", info.request_id()));
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::ResourceInfo>(any, [&](const auto& info) {
          std::string line =
              absl::StrCat("resource ", info.resource_type(), " ", info.resource_name());
          if (!info.description().empty()) absl::StrAppend(&line, ": ", info.description());
          Line(out, line);
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::Help>(any, [&](const auto& help) {
          for (const auto& link : help.links()) {
            Line(out, absl::StrCat("help: ", link.description(), " ", link.url()));
          }
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::LocalizedMessage>(any, [&](const auto& message) {
          Line(out, absl::StrCat("message (", message.locale(), "): ", message.message()));
        });
      },
      [](const Any& any, std::string& out) {
        return Format<google::rpc::DebugInfo>(any, [&](const auto& debug) {
          Line(out, absl::StrCat("debug: ", debug.detail()));
          for (const auto& entry : debug.stack_entries()) Line(out, absl::StrCat("  ", entry));
        });
      },
  };
}

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::vector<google::protobuf::Any> ErrorDetails(const grpc::Status& status) {
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) return {};
  return {rich.details().begin(), rich.details().end()};
}

std::string FormatError(const grpc::Status& status) {
  std::string out = StatusCodeName(status.error_code());
  if (!status.error_message().empty()) absl::StrAppend(&out, ": ", status.error_message());
  absl::StrAppend(&out, "\n");
  const std::vector<google::protobuf::Any> details = ErrorDetails(status);
  std::vector<bool> shown(details.size(), false);
  for (const auto& formatter : Formatters()) {
    for (size_t i = 0; i < details.size(); ++i) {
      if (!shown[i]) shown[i] = formatter(details[i], out);
    }
  }
  for (size_t i = 0; i < details.size(); ++i) {
    if (!shown[i]) Line(out, absl::StrCat("detail ", details[i].type_url()));
  }
  return out;
}

ExitCode ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::ALREADY_EXISTS:
      return kExitInvalidArgument;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitPrecondition;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    default:
      return kExitOther;
  }
}

}  // namespace cvm::cli
