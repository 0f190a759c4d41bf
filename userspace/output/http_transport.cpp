#include "output/http_transport.hpp"

#include <curl/curl.h>

#include <cstdlib>

#include "sinks/json_fields.hpp"
#include "sinks/native_json_encoder.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  // The answer is only read for status and errors; keep it bounded.
  if (body->size() < (1U << 20U)) {
    body->append(data, std::min(bytes, (1U << 20U) - body->size()));
  }
  return bytes;
}

}  // namespace

HttpTransport::HttpTransport(const OutputSpec& spec, std::string token, TlsOptions tls, RecordFormatter formatter)
    : spec_(spec), token_(std::move(token)), tls_(std::move(tls)), formatter_(std::move(formatter)) {
  // With server_name, the URL names the certificate's host and CONNECT_TO
  // sends the connection where the sink points.
  const std::string url_host = !tls_.server_name.empty()                   ? tls_.server_name
                               : spec_.host.find(':') != std::string::npos ? "[" + spec_.host + "]"
                                                                           : spec_.host;
  const std::string path = spec_.kind == OutputKind::kHec       ? "/services/collector/event"
                           : spec_.kind == OutputKind::kElastic ? "/_bulk"
                                                                : spec_.path;
  url_ = std::string(spec_.tls ? "https://" : "http://") + url_host + ":" + std::to_string(spec_.port) + path;
  if (!tls_.server_name.empty()) {
    connect_to_ =
        tls_.server_name + ":" + std::to_string(spec_.port) + ":" + spec_.host + ":" + std::to_string(spec_.port);
  }
  setup_handle();
}

HttpTransport::~HttpTransport() {
  if (curl_ != nullptr) {
    curl_easy_cleanup(curl_);
  }
  curl_slist_free_all(headers_);
  curl_slist_free_all(connect_to_list_);
}

void HttpTransport::setup_handle() {
  if (curl_ != nullptr) {
    curl_easy_cleanup(curl_);
  }
  curl_slist_free_all(headers_);
  curl_slist_free_all(connect_to_list_);
  headers_ = nullptr;
  connect_to_list_ = nullptr;
  curl_ = curl_easy_init();
  const long timeout = std::atol(spec_.option("timeout_ms", "10000").c_str());
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 5000L));
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, spec_.tls ? "https" : "http");
  if (spec_.tls) {
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, tls_.insecure ? 0L : 1L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, tls_.insecure ? 0L : 2L);
    if (!tls_.ca_file.empty()) {
      curl_easy_setopt(curl_, CURLOPT_CAINFO, tls_.ca_file.c_str());
    }
    if (!tls_.cert_file.empty()) {
      curl_easy_setopt(curl_, CURLOPT_SSLCERT, tls_.cert_file.c_str());
      curl_easy_setopt(curl_, CURLOPT_SSLKEY, tls_.key_file.c_str());
    }
  }
  if (!connect_to_.empty()) {
    connect_to_list_ = curl_slist_append(connect_to_list_, connect_to_.c_str());
    curl_easy_setopt(curl_, CURLOPT_CONNECT_TO, connect_to_list_);
  }
  headers_ = curl_slist_append(headers_, spec_.kind == OutputKind::kElastic ? "Content-Type: application/x-ndjson"
                                                                            : "Content-Type: application/json");
  if (spec_.kind == OutputKind::kHec) {
    headers_ = curl_slist_append(headers_, ("Authorization: Splunk " + token_).c_str());
  }
  headers_ = curl_slist_append(headers_, "Expect:");
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
}

void HttpTransport::reopen() { setup_handle(); }

std::string HttpTransport::body(const std::vector<std::shared_ptr<const nlohmann::json>>& records) const {
  std::string out;
  switch (spec_.kind) {
    case OutputKind::kHec:
      for (const auto& record : records) {
        const auto time_ms = record_time_ms(*record);
        nlohmann::json event = {{"time", static_cast<double>(time_ms) / 1000.0},
                                {"host", field_string(*record, "host")},
                                {"source", "privsentry"},
                                {"sourcetype", "privsentry:" + field_string(*record, "kind")},
                                {"event", formatter_.format_json(*record)}};
        out += dump_safe(event);
        out.push_back('\n');
      }
      break;
    case OutputKind::kElastic: {
      const std::string index = spec_.path.substr(1);
      for (const auto& record : records) {
        nlohmann::json action = {{"create", {{"_index", index}, {"_id", field_string(*record, "id")}}}};
        out += dump_safe(action);
        out.push_back('\n');
        nlohmann::json doc = formatter_.format_json(*record);
        // Elasticsearch sorts by @timestamp by convention.
        if (doc.is_object() && !doc.contains("@timestamp")) {
          doc["@timestamp"] = field_string(*record, "time");
        }
        out += dump_safe(doc);
        out.push_back('\n');
      }
      break;
    }
    default: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& record : records) {
        array.push_back(formatter_.format_json(*record));
      }
      out = dump_safe(array);
      break;
    }
  }
  return out;
}

DeliveryResult HttpTransport::deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) {
  DeliveryResult result;
  const std::string payload = body(records);
  std::string answer;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode code = curl_easy_perform(curl_);
  if (code != CURLE_OK) {
    result.error = "POST " + url_ + ": " + curl_easy_strerror(code) +
                   (error_buffer[0] != '\0' ? std::string(": ") + error_buffer : std::string());
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    result.error = "POST " + url_ + ": HTTP " + std::to_string(status) + " " + escape_for_terminal(answer, 200);
    return result;
  }
  if (spec_.kind == OutputKind::kElastic) {
    // _bulk answers 200 even when items fail; 409 on "create" means the
    // record is there already (a retry), which is what at-least-once wants.
    const auto parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_object() && parsed.value("errors", false) && parsed.contains("items") && parsed["items"].is_array()) {
      std::string first_error;
      for (const auto& item : parsed["items"]) {
        const auto& op = field_object(item, "create");
        const auto item_status = field_int(op, "status", 0);
        if (item_status != 200 && item_status != 201 && item_status != 409) {
          ++result.rejected;
          if (first_error.empty()) {
            first_error = field_string(field_object(op, "error"), "type") + ": " +
                          field_string(field_object(op, "error"), "reason");
          }
        }
      }
      if (result.rejected > 0) {
        result.error = "Elasticsearch rejected " + std::to_string(result.rejected) +
                       " record(s): " + escape_for_terminal(first_error, 200);
      }
    }
  }
  result.ok = true;
  return result;
}

}  // namespace privsentry
