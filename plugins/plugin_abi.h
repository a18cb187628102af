/* The out-of-tree plugin ABI: how a backend or a policy built separately, as
 * a shared object, plugs into the service. Plain C, so a plugin may be built
 * with another compiler, another C++ standard library or another language.
 *
 * A plugin library exports one function, by name:
 *
 *   const cvm_plugin* cvm_plugin_entry(void);
 *
 * returning a pointer to a static cvm_plugin that describes the one plugin it
 * holds (a backend or a policy). The service loads the libraries listed in its
 * config (ServiceConfig.plugin_libraries), checks the version, and registers
 * each under cvm_plugin.name, so configs name it like a built-in plugin.
 *
 * Rules:
 *  1. Version. abi_version is the first field of cvm_plugin in every version
 *     of this ABI, and the only one the service reads before it has checked
 *     it: a library whose abi_version lies outside
 *     [CVM_PLUGIN_ABI_MIN_VERSION, CVM_PLUGIN_ABI_VERSION] is refused at
 *     start-up ("built for plugin ABI v3, this service speaks v1 and v2").
 *     The version changes when this struct, the meaning of a method number,
 *     a calling convention or what a plugin must do with a request changes.
 *     It does not change for a new method number (a plugin answers methods
 *     it does not know with 12, UNIMPLEMENTED) or for new fields in the
 *     messages that a plugin may ignore (both sides ignore JSON fields they
 *     do not know).
 *  2. Messages. Requests, results, configs and errors are UTF-8 JSON objects:
 *     the proto3 JSON mapping of the messages in plugins/plugin_abi.proto
 *     (which embed provisioning/v1/provisioning.proto). The service writes
 *     the .proto field names (snake_case), enums as names, int64 and
 *     Timestamps as strings; it reads both snake_case and lowerCamelCase.
 *     JSON rather than binary protobuf: a plugin linking generated code for
 *     the same .proto files into the process would abort at dlopen (protobuf
 *     refuses a second registration of a file), and JSON needs no protobuf.
 *     Buffers passed in are NUL-terminated; sizes exclude the NUL.
 *  3. Memory. Nothing allocated crosses the boundary. Inputs are borrowed
 *     for the duration of the call. Outputs go through the sink the caller
 *     passes: the plugin calls it at most once per call, with a buffer that
 *     only has to live until the sink returns (the service copies it).
 *  4. Results. Every function returning int32_t returns a google.rpc.Code:
 *     0 (OK) with the result message sent to the sink (nothing sent reads as
 *     the empty message), or an error code with, optionally, a
 *     google.rpc.Status sent to the sink: {"code": 9, "message": "...",
 *     "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
 *     ...}]}. Details the service knows (google.rpc ErrorInfo, BadRequest,
 *     PreconditionFailure, QuotaFailure, RetryInfo) reach the client. The
 *     codes of backend methods follow backends/backend.h, those of policies
 *     plugins/policy.h.
 *  5. Threads. call() may run concurrently on one instance from many
 *     threads. create() may run concurrently with anything; destroy() runs
 *     once per created instance, after every call() on it has returned.
 *  6. Lifetime. The library stays loaded while any of its instances lives.
 *     No exception, signal or longjmp may leave a plugin function; a C++
 *     plugin catches everything and returns 13 (INTERNAL).
 *  7. Deadlines (v2). The requests of CVM_BACKEND_PREFLIGHT, _CREATE,
 *     _TERMINATE and _QUOTE carry `deadline` (a google.protobuf.Timestamp,
 *     written in UTC: "2025-01-02T03:04:05.678Z") when a client waits for
 *     the answer, and none for background work. A v2 plugin stops waiting
 *     (for its cloud, its retries, its own rate limits) when the deadline
 *     passes and returns 4 (DEADLINE_EXCEEDED), or the last error it got;
 *     it never works on past it. The other requests carry no deadline.
 *     A v1 plugin is sent the v1 messages (no `deadline`); the service
 *     bounds its calls itself: a call with a deadline runs on a thread of
 *     its own, the caller gets 4 when the deadline passes, and the plugin's
 *     late answer is discarded when it comes (rules 3 and 5 still hold: the
 *     buffers and the instance live until call() returns). A call whose
 *     deadline has passed before it starts is not made (4), in v1 and v2.
 *
 * Versions:
 *   v1  the struct, methods and messages above, without rule 7.
 *   v2  rule 7: the same struct, methods and messages, plus `deadline` in
 *       CreateRequest, TerminateRequest and QuoteRequest. A new version
 *       although the struct is unchanged: honouring the deadline is a new
 *       obligation of the plugin (rule 1), and the service must know
 *       whether a plugin meets it to decide whether it bounds the call
 *       itself. A v1 plugin would ignore the field and work past it.
 *       Policies have no method with a deadline: a policy plugin is the
 *       same in v1 and v2.
 */
#ifndef CVM_PROVISIONER_PLUGINS_PLUGIN_ABI_H_
#define CVM_PROVISIONER_PLUGINS_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes, which plugins built against it declare. */
#define CVM_PLUGIN_ABI_VERSION 2u
/* The oldest ABI the service still loads (rule 1). */
#define CVM_PLUGIN_ABI_MIN_VERSION 1u

/* The symbol every plugin library exports. */
#define CVM_PLUGIN_ENTRY_SYMBOL "cvm_plugin_entry"

/* cvm_plugin.kind */
#define CVM_PLUGIN_KIND_BACKEND 1u
#define CVM_PLUGIN_KIND_POLICY 2u

/* Methods of a backend: request message -> result message
 * (plugins/plugin_abi.proto, package provisioning.plugin.v1). */
#define CVM_BACKEND_PREFLIGHT 1u     /* CreateRequest -> Empty */
#define CVM_BACKEND_CREATE 2u        /* CreateRequest -> InstanceIds */
#define CVM_BACKEND_DESCRIBE 3u      /* DescribeRequest -> InstanceStatusList */
#define CVM_BACKEND_FIND_BY_ORDER 4u /* FindByOrderRequest -> InstanceIds */
#define CVM_BACKEND_LIST_TAGGED 5u   /* ListTaggedRequest -> TaggedInstanceList */
#define CVM_BACKEND_TERMINATE 6u     /* TerminateRequest -> Empty */
#define CVM_BACKEND_QUOTE 7u         /* QuoteRequest -> provisioning.v1.Quote */

/* Methods of a policy. */
#define CVM_POLICY_CHECK 101u /* PolicyCheckRequest -> Empty */

/* Receives one output buffer (rule 3). */
typedef void (*cvm_plugin_sink)(void* sink_context, const char* data, size_t size);

typedef struct cvm_plugin {
  /* The ABI the plugin speaks: CVM_PLUGIN_ABI_VERSION of the header it was
   * built with, or an older version it implements. Always first (rule 1). */
  uint32_t abi_version;
  /* CVM_PLUGIN_KIND_BACKEND or CVM_PLUGIN_KIND_POLICY. */
  uint32_t kind;
  /* The plugin name configs use, e.g. "sample"; static storage. */
  const char* name;
  /* Creates one configured instance. `instance_name` is the configured name
   * (BackendInstance.name / PolicyInstance.name); `config` is the JSON of the
   * instance's config (a google.protobuf.Struct; "{}" when unset). On 0 sets
   * *instance (an opaque handle, may be NULL); otherwise the error
   * (rule 4) goes to `error`; 3 (INVALID_ARGUMENT) for a bad config. */
  int32_t (*create)(const char* instance_name, const char* config, size_t config_size,
                    void** instance, cvm_plugin_sink error, void* error_context);
  /* Runs `method` on `instance` (rules 4, 5, 7). */
  int32_t (*call)(void* instance, uint32_t method, const char* request, size_t request_size,
                  cvm_plugin_sink sink, void* sink_context);
  /* Releases an instance create() returned. */
  void (*destroy)(void* instance);
} cvm_plugin;

typedef const cvm_plugin* (*cvm_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CVM_PROVISIONER_PLUGINS_PLUGIN_ABI_H_ */
