#include "enrich/docker_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <stdexcept>

#include "util/text.hpp"

namespace privsentry {
namespace {

constexpr const char* kDefaultSocket = "/var/run/docker.sock";

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct BodySink {
  std::string* body = nullptr;
  std::size_t limit = 0;
  bool overflow = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->body->append(data, bytes);
  return bytes;
}

CurlHandle make_handle(const std::string& socket, const std::string& path, const DockerClientOptions& options,
                       char* error_buffer) {
  CurlHandle handle(curl_easy_init());
  if (!handle) {
    throw std::runtime_error("curl_easy_init failed");
  }
  CURL* h = handle.get();
  const std::string url = "http://localhost" + path;
  error_buffer[0] = '\0';
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
  return handle;
}

std::string curl_error(CURLcode code, const char* buffer) {
  std::string text = curl_easy_strerror(code);
  if (buffer[0] != '\0') {
    text += ": ";
    text += buffer;
  }
  return text;
}

// The error text of a Docker API answer: {"message": "..."}.
std::string api_message(const HttpAnswer& answer) {
  const auto start = answer.body.find("\"message\"");
  std::string text = start == std::string::npos ? answer.body : answer.body.substr(start);
  return escape_for_terminal(text, 200);
}

}  // namespace

Expected<std::string> docker_socket_from(std::string_view docker_host) {
  if (docker_host.empty()) {
    return std::string(kDefaultSocket);
  }
  constexpr std::string_view kUnix = "unix://";
  if (docker_host.substr(0, kUnix.size()) != kUnix || docker_host.size() == kUnix.size()) {
    return Error{"DOCKER_HOST \"" + escape_for_terminal(docker_host, 200) +
                 "\" is not unix:///path: privsentry talks to the local engine over its unix socket"};
  }
  return std::string(docker_host.substr(kUnix.size()));
}

DockerClient::DockerClient(std::string socket_path, DockerClientOptions options)
    : socket_path_(std::move(socket_path)), options_(options) {}

Expected<HttpAnswer> DockerClient::get(const std::string& path) const {
  char error_buffer[CURL_ERROR_SIZE];
  auto handle = make_handle(socket_path_, path, options_, error_buffer);
  HttpAnswer answer;
  BodySink sink{&answer.body, options_.max_body_bytes, false};
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &sink);
  const CURLcode code = curl_easy_perform(handle.get());
  if (sink.overflow) {
    return Error{"GET " + path + " on " + socket_path_ + ": answer larger than " +
                 std::to_string(options_.max_body_bytes) + " bytes"};
  }
  if (code != CURLE_OK) {
    return Error{"GET " + path + " on " + socket_path_ + ": " + curl_error(code, error_buffer)};
  }
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

Expected<std::string> DockerClient::server_version() const {
  auto answer = get("/version");
  if (!answer) {
    return answer.error();
  }
  if (answer->status != 200) {
    return Error{"GET /version: HTTP " + std::to_string(answer->status) + " " + api_message(*answer)};
  }
  return parse_docker_version(answer->body);
}

Expected<std::vector<std::string>> DockerClient::list_running() const {
  auto answer = get("/containers/json");
  if (!answer) {
    return answer.error();
  }
  if (answer->status != 200) {
    return Error{"GET /containers/json: HTTP " + std::to_string(answer->status) + " " + api_message(*answer)};
  }
  return parse_docker_container_list(answer->body);
}

InspectOutcome DockerClient::inspect(const std::string& id) const {
  InspectOutcome outcome;
  if (!is_hex_id(id)) {
    outcome.error = "refusing to inspect a container id that is not hex";
    return outcome;
  }
  auto answer = get("/containers/" + id + "/json");
  if (!answer) {
    outcome.error = answer.error().message;
    return outcome;
  }
  if (answer->status == 404) {
    outcome.kind = InspectOutcome::Kind::kNotFound;
    return outcome;
  }
  if (answer->status != 200) {
    outcome.error =
        "inspect " + id.substr(0, 12) + ": HTTP " + std::to_string(answer->status) + " " + api_message(*answer);
    return outcome;
  }
  auto info = parse_docker_inspect(answer->body);
  if (!info) {
    outcome.error = "inspect " + id.substr(0, 12) + ": " + info.error().message;
    return outcome;
  }
  if (info->id != id && info->id.rfind(id, 0) != 0) {
    outcome.error = "inspect " + id.substr(0, 12) + ": the engine answered for another container";
    return outcome;
  }
  outcome.kind = InspectOutcome::Kind::kFound;
  outcome.info = std::move(*info);
  return outcome;
}

namespace {

struct EventStream {
  const std::function<void()>* on_connected = nullptr;
  const std::function<void(const Expected<DockerEvent>&)>* on_event = nullptr;
  const std::function<bool()>* should_stop = nullptr;
  CURL* handle = nullptr;
  std::string pending;
  std::size_t max_line = 0;
  std::string failure;
  bool connected = false;
};

std::size_t stream_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* stream = static_cast<EventStream*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line == "\r\n" || line == "\n") {
    long status = 0;
    curl_easy_getinfo(stream->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      stream->failure = "GET /events: HTTP " + std::to_string(status);
      return 0;
    }
    stream->connected = true;
    (*stream->on_connected)();
  }
  return bytes;
}

std::size_t stream_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* stream = static_cast<EventStream*>(user);
  const std::size_t bytes = size * count;
  stream->pending.append(data, bytes);
  std::size_t start = 0;
  while (true) {
    const auto end = stream->pending.find('\n', start);
    if (end == std::string::npos) {
      break;
    }
    const std::string_view line(stream->pending.data() + start, end - start);
    if (!line.empty()) {
      // A bad line is handed on as an error and skipped; the stream goes on.
      (*stream->on_event)(parse_docker_event(line));
    }
    start = end + 1;
  }
  stream->pending.erase(0, start);
  if (stream->pending.size() > stream->max_line) {
    stream->failure = "GET /events: a line is longer than " + std::to_string(stream->max_line) + " bytes";
    return 0;
  }
  return bytes;
}

int stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* stream = static_cast<EventStream*>(user);
  return (*stream->should_stop)() ? 1 : 0;
}

}  // namespace

Error DockerClient::stream_events(const std::function<void()>& on_connected,
                                  const std::function<void(const Expected<DockerEvent>&)>& on_event,
                                  const std::function<bool()>& should_stop) const {
  char error_buffer[CURL_ERROR_SIZE];
  // filters={"type":["container"]}
  auto handle =
      make_handle(socket_path_, "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D", options_, error_buffer);
  EventStream stream;
  stream.on_connected = &on_connected;
  stream.on_event = &on_event;
  stream.should_stop = &should_stop;
  stream.handle = handle.get();
  stream.max_line = options_.max_event_line_bytes;
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, stream_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &stream);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &stream);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stream);
  const CURLcode code = curl_easy_perform(h);
  if (!stream.failure.empty()) {
    return Error{stream.failure};
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return Error{"stopped"};
  }
  if (code != CURLE_OK) {
    return Error{"GET /events on " + socket_path_ + ": " + curl_error(code, error_buffer)};
  }
  return Error{"GET /events on " + socket_path_ + ": the engine closed the stream"};
}

CurlGlobal::CurlGlobal() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

}  // namespace privsentry
